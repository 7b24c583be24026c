"""Speech and relay benchmark: voice load, time to first audio, real-time factor, round-trip
intelligibility, and the relay's typed-Enter-to-first-audio-sample latency.

    .venv/bin/python bench/speech.py [--quick]

- Voice load: `load_voice()` (the bundled en_US-joe-medium, including its one-word warm-up), median
  of 3.
- First audio: one-sentence replies (the everyday sentences in tests/tts/data), time from
  `synthesize()` to the first block, after load.
- Real-time factor: synthesis time / audio duration over the same sentences.
- Round trip: every sentence spoken by the voice and transcribed by the bundled Whisper tiny.en
  (offline, beam 5), WER after Whisper's English normaliser; also the dev-set transcripts
  (../shared/data/speech-dev), which are literary and full of names.
- Relay: a ConversationSession whose captioner is busy with real speech fed at real-time pace
  on another thread (as with a microphone); a reply is typed every 2 s; the time from the typed
  Enter (`session.say` + `ReplyPlayer.speak`) to the first sample reaching the sink.

--quick: 12 sentences, 4 relay replies.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = ROOT / "tests" / "tts" / "data" / "everyday_sentences.txt"
DEV = ROOT.parent / "shared" / "data" / "speech-dev"
RELAY_SPEECH = ROOT / "src" / "openhear" / "samples" / "speech_librispeech_2412-153948-0000.wav"


def _sentences(limit: int | None) -> list[str]:
    lines = [s for s in SENTENCES.read_text().splitlines() if s.strip() and not s.startswith("#")]
    return lines[:limit] if limit else lines


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{1000 * statistics.median(ordered):.0f} ms / {1000 * p95:.0f} ms"


def measure_load() -> tuple[float, object]:
    from openhear.tts.piper import load_voice

    times, voice = [], None
    for _ in range(3):
        t = time.perf_counter()
        voice = load_voice()
        times.append(time.perf_counter() - t)
    return statistics.median(times), voice


def measure_synthesis(voice, sentences: list[str]) -> dict:
    """Wall-clock and CPU-time first-audio times and real-time factors, and the audio per sentence.

    CPU time (of this process, all its threads) is what the synthesis costs whatever else the
    machine is doing; wall-clock time is what a listener waits on this machine as it is now.
    """
    first, first_cpu, audio = [], [], []
    total_s = total_cpu = audio_s = 0.0
    for text in sentences:
        t, c = time.perf_counter(), time.process_time()
        blocks = []
        for block in voice.synthesize(text):
            if not blocks:
                first.append(time.perf_counter() - t)
                first_cpu.append(time.process_time() - c)
            blocks.append(block)
        total_s += time.perf_counter() - t
        total_cpu += time.process_time() - c
        audio_s += sum(b.duration_s for b in blocks)
        audio.append(np.concatenate([b.mono() for b in blocks]))
    return {
        "first": first,
        "first_cpu": first_cpu,
        "rtf": total_s / audio_s,
        "rtf_cpu": total_cpu / audio_s,
        "audio": audio,
        "audio_s": audio_s,
    }


def round_trip_wer(
    voice, transcriber, sentences: list[str], audio: list[np.ndarray]
) -> tuple[int, int]:
    from openhear.asr.wer import word_errors
    from openhear.asr.whisper import SAMPLE_RATE
    from openhear.audio.resample import resample

    errors = words = 0
    for text, samples in zip(sentences, audio, strict=False):
        heard = transcriber.text(resample(samples, voice.sample_rate, SAMPLE_RATE))
        e, n = word_errors(text, heard)
        errors, words = errors + e, words + n
    return errors, words


def dev_transcripts() -> list[str]:
    manifest = DEV / "manifest.jsonl"
    if not manifest.exists():
        return []
    return [r["text"] for r in map(json.loads, manifest.read_text().splitlines()) if r.get("text")]


class FirstSampleSink:
    """A sink that notes when the first sample of each reply arrives (the
    sound card stands here)."""

    def __init__(self):
        self.sent_at: float | None = None
        self.latencies: list[float] = []
        self.arrived = threading.Event()

    def write(self, block) -> None:
        if self.sent_at is not None:
            self.latencies.append(time.perf_counter() - self.sent_at)
            self.sent_at = None
            self.arrived.set()

    def close(self) -> None:
        pass


def measure_relay(voice, transcriber, replies: list[str]) -> list[float]:
    from openhear.asr.streaming import StreamingCaptioner
    from openhear.audio.files import iter_audio_file
    from openhear.relay.replies import ReplyPlayer
    from openhear.relay.session import ConversationSession, RelayOptions
    from openhear.relay.store import TranscriptStore

    sink = FirstSampleSink()
    with TranscriptStore() as store:
        started = time.monotonic()
        session = ConversationSession(
            store,
            StreamingCaptioner(transcriber),
            voice,
            RelayOptions(disclosure=""),
            clock=lambda: time.monotonic() - started,
        )
        player = ReplyPlayer(sink)
        stop = threading.Event()

        def listen():  # the other person, at real-time pace, looping the recording
            while not stop.is_set():
                begin = time.monotonic()
                for block in iter_audio_file(RELAY_SPEECH, block_frames=320):
                    time.sleep(max(0.0, begin + block.end_s - time.monotonic()))
                    list(session.hear(block))
                    if stop.is_set():
                        return
                list(session.close())

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        time.sleep(2.0)
        for text in replies:
            sink.arrived.clear()
            sink.sent_at = time.perf_counter()  # the Enter key
            player.speak(session.say(text))
            sink.arrived.wait(timeout=30)
            time.sleep(2.0)
        stop.set()
        listener.join()
        player.close()
    return sink.latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="12 sentences and 4 relay replies")
    args = parser.parse_args()
    os.environ.setdefault(
        "OPENHEAR_DATA_DIR", str(Path(os.environ.get("TMPDIR", "/tmp")) / "openhear-bench-speech")
    )

    from openhear.asr.whisper import load_transcriber

    sentences = _sentences(12 if args.quick else None)
    load_s, voice = measure_load()
    synth = measure_synthesis(voice, sentences)
    transcriber = load_transcriber()
    errors, words = round_trip_wer(voice, transcriber, sentences, synth["audio"])
    dev = [] if args.quick else dev_transcripts()
    dev_errors, dev_words = (
        round_trip_wer(voice, transcriber, dev, measure_synthesis(voice, dev)["audio"])
        if dev
        else (0, 0)
    )
    relay = measure_relay(voice, transcriber, sentences[:4] if args.quick else sentences[:10])

    rows = [
        ("voice load (bundled en_US-joe-medium, median of 3)", f"{load_s:.2f} s", "<= 1 s"),
        (
            f"first audio, one-sentence reply, wall clock (median / p95, n={len(synth['first'])})",
            _ms(synth["first"]),
            "median <= 100 ms",
        ),
        ("first audio, one-sentence reply, CPU time (median / p95)", _ms(synth["first_cpu"]), "-"),
        (
            f"real-time factor, wall clock / CPU time ({synth['audio_s']:.0f} s of speech)",
            f"{synth['rtf']:.3f} / {synth['rtf_cpu']:.3f}",
            "<= 0.05",
        ),
        (
            f"round-trip WER, everyday sentences ({len(sentences)} sentences, {words} words)",
            f"{100 * errors / max(words, 1):.1f} % ({errors} errors)",
            "<= 2 %",
        ),
    ]
    if dev:
        rows.append(
            (
                f"round-trip WER, dev transcripts ({len(dev)}, {dev_words} words)",
                f"{100 * dev_errors / max(dev_words, 1):.1f} % ({dev_errors} errors)",
                "-",
            )
        )
    rows.append(
        (
            "relay: typed Enter to first audio sample, captioner busy (median / p95, "
            f"n={len(relay)})",
            _ms(relay),
            "-",
        )
    )
    load = os.getloadavg()[0]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {load:.1f} at the "
        f"end{' (--quick)' if args.quick else ''}"
    )
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure'.ljust(width)} | value | target |")
    print(f"|{'-' * (width + 2)}|---|---|")
    for name, value, target in rows:
        print(f"| {name.ljust(width)} | {value} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
