"""Captions benchmark: offline vs file vs streaming WER, real-time factor, latency, peak memory.

    .venv/bin/python bench/captions.py [--quick] [--virtual] [--long PASSES] [--model base]

The transcribed dev utterances (../shared/data/speech-dev next to the repo, else tests/data/speech)
are joined into one stream with `--gap` seconds of silence between them, as a conversation with
pauses, and fed to one StreamingCaptioner in 20 ms blocks at real-time pace (the wall clock; with
--virtual a clock that skips the waiting but counts every second of compute, which gives the same
figures without waiting; with --cpu-clock compute counts as this process's CPU time, which is what
a dedicated core would give on a machine shared with other work). Latency of a word = time its
caption was emitted minus the end time of the word in the audio; "provisional" is its first
display (provisional or final), "final" its commit. Streaming WER scores the final words that fall
inside each utterance. The offline reference is plain faster-whisper with its defaults (beam 5, no
word timestamps, 30 s windows, the text so far as the prompt), on each utterance and on the joined
stream; file captioning (the FileCaptioner of `openhear caption FILE`) is scored on the same
joined stream. `--long PASSES` also joins PASSES shuffled copies of the set, with pauses of 0.3 to
3 s, into one long recording and compares plain faster-whisper and file captioning on it. WER is
pooled after Whisper's English normaliser.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from openhear.asr.agreement import word_key
from openhear.asr.events import FinalCaption, Word
from openhear.asr.offline import caption_recording
from openhear.asr.pacing import CpuClock, VirtualClock, WallClock, paced_events
from openhear.asr.streaming import LIVE_OPTIONS, StreamingCaptioner, final_text
from openhear.asr.wer import word_errors
from openhear.asr.whisper import SAMPLE_RATE, load_transcriber
from openhear.audio.block import AudioBlock
from openhear.audio.files import read_audio
from openhear.audio.resample import resample

TARGETS = {
    "streaming WER - offline WER (points)": 1.0,
    "final latency median (s)": 1.0,
    "final latency p95 (s)": 2.0,
    "provisional latency median (s)": 0.5,
    "real-time factor": 0.15,
    "peak RSS (MiB)": 1024,
}


@dataclass
class Utterance:
    id: str
    text: str
    audio: np.ndarray
    start_s: float = 0.0

    @property
    def end_s(self) -> float:
        return self.start_s + self.audio.size / SAMPLE_RATE


def dev_set() -> tuple[Path, list[Utterance]]:
    """The transcribed utterances, as 16 kHz mono."""
    folder = ROOT.parent / "shared" / "data" / "speech-dev"
    if not (folder / "manifest.jsonl").is_file():
        folder = ROOT / "tests" / "data" / "speech"
    rows = [
        json.loads(line)
        for line in (folder / "manifest.jsonl").read_text().splitlines()
        if line.strip()
    ]
    out = []
    for r in rows:
        if not r.get("text"):
            continue
        block = read_audio(folder / r["audio"])
        out.append(
            Utterance(r["id"], r["text"], resample(block.mono(), block.sample_rate, SAMPLE_RATE))
        )
    return folder, out


def conversation(utterances: list[Utterance], gap_s: float | list[float]) -> np.ndarray:
    """The utterances one after another with silence between (and after the last): `gap_s`
    seconds each, or one value per utterance."""
    gaps = gap_s if isinstance(gap_s, list) else [gap_s] * len(utterances)
    parts, t = [], 0.0
    for u, g in zip(utterances, gaps, strict=True):
        u.start_s = t
        parts += [u.audio, np.zeros(round(g * SAMPLE_RATE), np.float32)]
        t = u.end_s + g
    return np.concatenate(parts)


def long_recording(utterances: list[Utterance], passes: int) -> tuple[np.ndarray, str]:
    """`passes` shuffled copies of the utterances with pauses of 0.3 to 3 s, and the reference."""
    rng = np.random.default_rng(0)
    order = [utterances[i] for _ in range(passes) for i in rng.permutation(len(utterances))]
    gaps = [float(g) for g in rng.uniform(0.3, 3.0, len(order))]
    copies = [dataclasses.replace(u) for u in order]
    return conversation(copies, gaps), " ".join(u.text for u in copies)


def file_vs_plain(transcriber, audio: np.ndarray, reference: str, cpu_clock: bool):
    """(plain faster-whisper WER %, file captioning WER %, file real-time factor, file events)."""
    plain, _, _ = timed(lambda: transcriber.text(audio))
    events, wall, cpu = timed(lambda: list(caption_recording(blocks(audio, 1.0), transcriber)))
    plain_wer = pooled([word_errors(reference, plain)])
    file_wer = pooled([word_errors(reference, final_text(events))])
    return plain_wer, file_wer, (cpu if cpu_clock else wall) / (audio.size / SAMPLE_RATE), events


def file_rows(material: str, plain_wer: float, file_wer: float, file_rtf: float) -> list[tuple]:
    """Table rows comparing file captioning with plain faster-whisper on `material`."""
    return [
        (f"{material}: plain faster-whisper WER (%)", f"{plain_wer:.2f}", "", ""),
        (f"{material}: file captioning WER (%)", f"{file_wer:.2f}", "", ""),
        (
            f"{material}: file WER - plain WER (points)",
            f"{file_wer - plain_wer:+.2f}",
            "<= +0.2",
            file_wer - plain_wer <= 0.2,
        ),
        (
            f"{material}: file captioning real-time factor",
            f"{file_rtf:.3f}",
            "<= 0.15",
            file_rtf <= 0.15,
        ),
    ]


def blocks(audio: np.ndarray, block_s: float = 0.02):
    n = round(block_s * SAMPLE_RATE)
    for i in range(0, audio.size, n):
        yield AudioBlock.from_mono(audio[i : i + n], SAMPLE_RATE, i / SAMPLE_RATE)


class CountingClock:
    """Wraps a clock and counts the time spent waiting, so compute time = elapsed - waited."""

    def __init__(self, clock):
        self._clock = clock
        self.waited = 0.0

    def now(self) -> float:
        return self._clock.now()

    def sleep(self, seconds: float) -> None:
        self.waited += max(0.0, seconds)
        self._clock.sleep(seconds)


def first_display(word: Word, shown: list[tuple[float, Word]], committed_at: float) -> float:
    """When a final word was first on screen: the earliest matching provisional
    word, else its commit."""
    key = word_key(word)
    times = [t for t, w in shown if word_key(w) == key and abs(w.start_s - word.start_s) < 0.6]
    return min(times + [committed_at])


def timed(fn):
    """fn(), its wall time and this process's CPU time."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def heard_in(u: Utterance, events) -> str:
    """The final words whose middle falls within the utterance (give or take half a second)."""
    return "".join(
        w.text
        for e in events
        if isinstance(e, FinalCaption)
        for w in e.words
        if u.start_s - 0.5 <= (w.start_s + w.end_s) / 2 < u.end_s + 0.5
    )


def pooled(pairs) -> float:
    """Corpus WER in percent from (errors, reference words) pairs."""
    return 100 * sum(e for e, _ in pairs) / max(1, sum(n for _, n in pairs))


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="only the first 4 utterances")
    clocks = ap.add_mutually_exclusive_group()
    clocks.add_argument(
        "--virtual",
        action="store_true",
        help="virtual clock: skip waiting, count compute (wall) time",
    )
    clocks.add_argument(
        "--cpu-clock",
        action="store_true",
        help="virtual clock counting this process's CPU time: a dedicated core, no other load",
    )
    ap.add_argument(
        "--gap", type=float, default=1.0, help="silence between utterances, seconds (default 1)"
    )
    ap.add_argument(
        "--long",
        type=int,
        default=0,
        metavar="PASSES",
        help="also compare file captioning with plain faster-whisper on PASSES shuffled copies",
    )
    ap.add_argument(
        "--model",
        default="tiny.en",
        metavar="NAME|PATH",
        help="Whisper model: tiny.en (default), base (the languages extra) or a model directory",
    )
    ap.add_argument(
        "--language",
        default="en",
        help="language the model is set to (default en: the dev set is English; auto: identified)",
    )
    ap.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a CaptionOptions field of LIVE_OPTIONS, e.g. update_interval_s=0.4",
    )
    args = ap.parse_args()
    options = dataclasses.replace(
        LIVE_OPTIONS, **{k: float(v) for k, v in (o.split("=", 1) for o in args.option)}
    )

    folder, utterances = dev_set()
    if args.quick:
        utterances = utterances[:4]
    transcriber = load_transcriber(args.model, language=args.language)
    speech_s = sum(u.audio.size for u in utterances) / SAMPLE_RATE

    offline, offline_wall, offline_cpu = timed(
        lambda: [word_errors(u.text, transcriber.text(u.audio)) for u in utterances]
    )

    stream = conversation(utterances, args.gap)
    stream_s = stream.size / SAMPLE_RATE
    # as `openhear caption FILE` does, as fast as it can, against plain faster-whisper
    reference = " ".join(u.text for u in utterances)
    plain_wer, file_wer, file_rtf, file_events = file_vs_plain(
        transcriber, stream, reference, args.cpu_clock
    )
    file_per_utterance = pooled([word_errors(u.text, heard_in(u, file_events)) for u in utterances])
    clock = CountingClock(
        CpuClock() if args.cpu_clock else VirtualClock() if args.virtual else WallClock()
    )
    clock_name = "CPU-time virtual" if args.cpu_clock else "virtual" if args.virtual else "wall"
    captioner = StreamingCaptioner(transcriber, options, clock=clock.now)
    finals: list[tuple[float, FinalCaption]] = []
    shown: list[tuple[float, Word]] = []
    cpu0, t0 = time.process_time(), clock.now()
    for emitted, event in paced_events(captioner, blocks(stream), clock):
        if isinstance(event, FinalCaption):
            finals.append((emitted, event))
        else:
            shown += [(emitted, w) for w in event.words]
    elapsed, cpu = clock.now() - t0, time.process_time() - cpu0

    final_lat, prov_lat = [], []
    words = [(t, w) for t, e in finals for w in e.words]
    for t, w in words:
        final_lat.append(t - w.end_s)
        prov_lat.append(first_display(w, shown, t) - w.end_s)
    streaming = [word_errors(u.text, heard_in(u, [e for _, e in finals])) for u in utterances]
    wer_off, wer_str = pooled(offline), pooled(streaming)
    rtf = (elapsed - clock.waited) / stream_s  # on the chosen clock: wall, or CPU with --cpu-clock
    offline_rtf = (offline_cpu if args.cpu_clock else offline_wall) / speech_s
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("offline WER (%), plain faster-whisper, each utterance", f"{wer_off:.2f}", "", ""),
        ("streaming WER (%)", f"{wer_str:.2f}", "", ""),
        (
            "streaming WER - offline WER (points)",
            f"{wer_str - wer_off:+.2f}",
            "<= +1.0",
            wer_str - wer_off <= 1.0,
        ),
        (
            "final latency median (s)",
            f"{percentile(final_lat, 50):.2f}",
            "<= 1.0",
            percentile(final_lat, 50) <= 1.0,
        ),
        (
            "final latency p95 (s)",
            f"{percentile(final_lat, 95):.2f}",
            "<= 2.0",
            percentile(final_lat, 95) <= 2.0,
        ),
        (
            "provisional latency median (s)",
            f"{percentile(prov_lat, 50):.2f}",
            "<= 0.5",
            percentile(prov_lat, 50) <= 0.5,
        ),
        ("provisional latency p95 (s)", f"{percentile(prov_lat, 95):.2f}", "", ""),
        (
            "real-time factor, live streaming (compute s / audio s)",
            f"{rtf:.3f}",
            "<= 0.15",
            rtf <= 0.15,
        ),
        ("CPU seconds per audio second, streaming", f"{cpu / stream_s:.3f}", "", ""),
        ("real-time factor, offline whole utterances", f"{offline_rtf:.3f}", "", ""),
        *file_rows("joined stream", plain_wer, file_wer, file_rtf),
        (
            "joined stream: file captioning WER (%), words within each utterance",
            f"{file_per_utterance:.2f}",
            "",
            "",
        ),
        ("Whisper decodes per audio second", f"{captioner.decodes / stream_s:.2f}", "", ""),
        ("peak RSS (MiB)", f"{rss_mib:.0f}", "<= 1024", rss_mib <= 1024),
    ]
    if args.long:
        audio, text = long_recording(utterances, args.long)
        minutes = f"{audio.size / SAMPLE_RATE / 60:.1f} min"
        long_plain, long_file, long_rtf, _ = file_vs_plain(transcriber, audio, text, args.cpu_clock)
        rows += file_rows(f"long recording ({minutes})", long_plain, long_file, long_rtf)
    print(
        f"captions benchmark: {len(utterances)} utterances from {folder.relative_to(ROOT.parent)}, "
        f"{speech_s:.1f} s of speech in a {stream_s:.1f} s stream ({args.gap:g} s pauses), "
        f"{clock_name} clock, {len(words)} final words"
    )
    shown = (f"{k}={v}" for k, v in dataclasses.asdict(options).items() if k != "vocabulary")
    print(f"options: {', '.join(shown)}")
    print(
        f"model: {transcriber.name} ({transcriber.path}), language {transcriber.language or 'auto'}"
    )
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python "
        f"{platform.python_version()}"
    )
    print()
    print_table(rows)
    return 0


def print_table(rows) -> None:
    """(metric, measured, target, met) rows as a Markdown table; '' target: no target."""
    print("| metric | measured | target | met |")
    print("|---|---|---|---|")
    for name, value, target, met in rows:
        mark = "" if target == "" else ("yes" if met else "no")
        print(f"| {name} | {value} | {target} | {mark} |")


if __name__ == "__main__":
    sys.exit(main())
