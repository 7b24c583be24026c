"""Calls benchmark: captions through a real SIP call (G.711 and G.722) against the same audio
straight from the file, final-caption latency from the far end, typed reply to its first audio at
the far end, CPU per call.

    .venv/bin/python bench/calls.py [--quick]

The transcribed dev utterances are joined with `--gap` seconds of silence (as bench/captions.py
does) and played by a pjsua2 peer (tests/calls/sip_peer.py, in its own process) into a call to
openhear's `Phone` on 127.0.0.1: once with G.711 (PCMU, 8 kHz) and once with G.722 (16 kHz).
openhear's side is what `openhear call` runs: a `CallRelay` with the live streaming captioner
(LIVE_OPTIONS) and the bundled voice. The same stream is also captioned straight from the file at
real-time pace with the same options.

- WER: every final caption of the call (or of the file) joined, against every transcript joined,
  after Whisper's English normaliser.
- Final-caption latency: the time a final caption was shown minus the time the end of its last
  word left the far end. The peer reports (time.monotonic(), shared by the processes) when its
  player started; where the file's first sample sits in what openhear heard is found by
  cross-correlation, so network, jitter buffer and captioner delays all count.
- Reply latency: a short reply is typed every `--reply-every` seconds during the call (the
  captioner busy meanwhile); the time from `CallRelay.type` to the start of the next burst of
  sound the peer hears (its signal level, polled every 10 ms); and, of that, the time until the
  first frame with sound (past the voice's leading quiet) goes from openhear into the call.
- CPU: this process's CPU time during the call (pjsua2, captioner, voice) per second of call;
  and of a third call whose audio is taken but not captioned (the SIP stack and media alone).

--quick: the first 4 utterances.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import correlate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from captions import blocks, conversation, dev_set, percentile, print_table  # noqa: E402

from openhear.asr.events import FinalCaption  # noqa: E402
from openhear.asr.pacing import paced_events  # noqa: E402
from openhear.asr.streaming import LIVE_OPTIONS, StreamingCaptioner  # noqa: E402
from openhear.asr.wer import wer  # noqa: E402
from openhear.asr.whisper import SAMPLE_RATE, load_transcriber  # noqa: E402

PEER = ROOT / "tests" / "calls" / "sip_peer.py"
REPLIES = ("Yes, go on.", "I see.", "Okay, thank you.", "Could you repeat that?", "Right.")
WAIT_S = 60.0
AUDIBLE = 0.02 * 32768
"""A frame louder than this (16-bit peak) carries the reply's sound, not its leading quiet."""


class Peer:
    """The far end, reporting JSON lines (see tests/calls/sip_peer.py)."""

    def __init__(self, port: int, codec: str, wav: Path):
        self.port = port
        self.reports: list[dict] = []
        self._new = threading.Condition()
        self.process = subprocess.Popen(
            [sys.executable, str(PEER), "--port", str(port), "--codec", codec,
             "--play", str(wav), "--hangup-after-play", "--exit-after", "3600"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()
        self.wait("ready")

    def _read(self) -> None:
        for line in self.process.stdout:
            if line.startswith("{"):
                with self._new:
                    self.reports.append(json.loads(line))
                    self._new.notify_all()

    def wait(self, event: str) -> dict:
        with self._new:
            assert self._new.wait_for(
                lambda: any(r["event"] == event for r in self.reports), WAIT_S
            ), f"the peer never said {event}: {self.reports}"
            return next(r for r in self.reports if r["event"] == event)

    def all(self, event: str) -> list[dict]:
        return [r for r in self.reports if r["event"] == event]

    def finish(self) -> None:
        self.process.stdin.close()
        self.process.wait(WAIT_S)


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(phone, codec: str, wav: Path, stream: np.ndarray, voice, transcriber, reply_every_s):
    """One call playing `wav`; its captions, latencies, reply latencies and CPU per call second."""
    from openhear.calls.leg import CallState
    from openhear.calls.relay import CallRelay
    from openhear.relay.session import RelayOptions
    from openhear.relay.store import Entry, TranscriptStore

    peer = Peer(free_port(), codec, wav)
    leg = phone.dial(f"sip:peer@127.0.0.1:{peer.port}")
    assert leg.wait(CallState.CONNECTED, timeout_s=WAIT_S).state is CallState.CONNECTED
    port_started = time.monotonic() - leg.elapsed_s()
    heard: list[np.ndarray] = []
    finals: list[tuple[float, Entry]] = []
    own_blocks = leg.blocks

    def teed():  # what openhear heard, to place the file in it
        for block in own_blocks():
            heard.append(block.samples[:, 0].copy())
            yield block

    leg.blocks = teed
    own_requested = leg.requested
    sent: list[float] = []  # when a frame with sound went into the call

    def requested():
        pcm = own_requested()
        if pcm is not None and np.abs(np.frombuffer(pcm, "<i2")).max() > AUDIBLE:
            sent.append(time.monotonic())
        return pcm

    leg.requested = requested

    def shown(event) -> None:
        if isinstance(event, Entry) and event.speaker == "them":
            finals.append((time.monotonic(), event))

    with tempfile.TemporaryDirectory() as tmp, TranscriptStore(Path(tmp) / "t.sqlite3") as store:
        captioner = StreamingCaptioner(transcriber, LIVE_OPTIONS)
        relay = CallRelay(
            leg, store, captioner, voice, RelayOptions(disclosure=""), shown, lambda note: None
        )
        typed: list[float] = []
        stop = threading.Event()

        def type_replies() -> None:
            n = 0
            while not stop.wait(reply_every_s):
                typed.append(time.monotonic())
                relay.type(REPLIES[n % len(REPLIES)])
                n += 1

        cpu0, wall0 = time.process_time(), time.monotonic()
        typist = threading.Thread(target=type_replies, daemon=True)
        typist.start()
        relay.run()
        stop.set()
        relay.close()
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    playing = peer.wait("playing")["t"]
    peer.finish()
    received = np.concatenate(heard)
    window = stream[: 10 * SAMPLE_RATE]
    lags = correlate(received[: window.size + 2 * SAMPLE_RATE], window, "valid", method="fft")
    offset_s = int(np.argmax(lags)) / SAMPLE_RATE  # where the file's start is in what was heard
    latencies = [t - (playing + e.end_s - offset_s) for t, e in finals]
    reply_ms = after(typed, [r["t"] for r in peer.all("sound")])
    sent_ms = after(typed, sent)
    transit_ms = 1000 * (port_started + offset_s - playing)
    return {
        "text": " ".join(e.text for _, e in finals),
        "latency": latencies,
        "reply_ms": reply_ms,
        "sent_ms": sent_ms,
        "replies": len(typed),
        "cpu": cpu / wall,
        "transit_ms": transit_ms,
        "codec": leg.status.codec or "?",
    }


def after(starts: list[float], events: list[float]) -> list[float]:
    """For each start, milliseconds to the first event after it (starts with none are left out)."""
    return [
        1000 * (min(e for e in events if e > t) - t) for t in starts if any(e > t for e in events)
    ]


def media_only(phone, wav: Path) -> float:
    """CPU per second of a call whose audio is taken from the leg but not captioned: the SIP
    stack, the media clock and the frames crossing into Python."""
    from openhear.calls.leg import CallState

    peer = Peer(free_port(), "g722", wav)
    leg = phone.dial(f"sip:peer@127.0.0.1:{peer.port}")
    assert leg.wait(CallState.CONNECTED, timeout_s=WAIT_S).state is CallState.CONNECTED
    cpu0, wall0 = time.process_time(), time.monotonic()
    for _ in leg.blocks():
        pass
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    peer.finish()
    return cpu / wall


def from_file(stream: np.ndarray, transcriber) -> str:
    """The same stream captioned at real-time pace with the same options: the reference point."""
    captioner = StreamingCaptioner(transcriber, LIVE_OPTIONS)
    return " ".join(
        e.text for _, e in paced_events(captioner, blocks(stream)) if isinstance(e, FinalCaption)
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="only the first 4 utterances")
    ap.add_argument(
        "--gap", type=float, default=1.0, help="silence between utterances, seconds (default 1)"
    )
    ap.add_argument(
        "--reply-every", type=float, default=5.0, help="seconds between typed replies (default 5)"
    )
    args = ap.parse_args()
    from openhear.calls.phone import Phone, PhoneOptions
    from openhear.tts.piper import load_voice

    folder, utterances = dev_set()
    if args.quick:
        utterances = utterances[:4]
    reference = " ".join(u.text for u in utterances)
    stream = conversation(utterances, args.gap)
    transcriber, voice = load_transcriber(), load_voice()
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "far.wav"
        sf.write(wav, stream, SAMPLE_RATE, subtype="PCM_16")
        file_wer = 100 * wer(reference, from_file(stream, transcriber))
        results = {}
        with Phone(PhoneOptions(bind_address="127.0.0.1")) as phone:
            for codec in ("pcmu", "g722"):
                results[codec] = call(
                    phone, codec, wav, stream, voice, transcriber, args.reply_every
                )
            short = Path(tmp) / "short.wav"  # 10 s are enough for a steady figure
            sf.write(short, stream[: 10 * SAMPLE_RATE], SAMPLE_RATE, subtype="PCM_16")
            media_cpu = media_only(phone, short)
    rows = [("WER straight from the file (%)", f"{file_wer:.2f}", "", "")]
    for codec, r in results.items():
        name = {"pcmu": "G.711", "g722": "G.722"}[codec]
        call_wer = 100 * wer(reference, r["text"])
        median = percentile(r["latency"], 50)
        reply = percentile(r["reply_ms"], 50)
        rows += [
            (f"{name}: WER (%)", f"{call_wer:.2f}", "", ""),
            (f"{name}: WER - file WER (points)", f"{call_wer - file_wer:+.2f}", "", ""),
            (f"{name}: final-caption latency median (s)", f"{median:.2f}", "<= 1.2", median <= 1.2),
            (
                f"{name}: final-caption latency p95 (s)",
                f"{percentile(r['latency'], 95):.2f}",
                "",
                "",
            ),
            (
                f"{name}: typed reply to first audio at the far end, median (ms)",
                f"{reply:.0f} (n={len(r['reply_ms'])}/{r['replies']})",
                "<= 300",
                reply <= 300,
            ),
            (f"{name}: reply latency p95 (ms)", f"{percentile(r['reply_ms'], 95):.0f}", "", ""),
            (
                f"{name}: of which until its sound leaves openhear, median (ms)",
                f"{percentile(r['sent_ms'], 50):.0f}",
                "",
                "",
            ),
            (
                f"{name}: far end to openhear, audio in transit (ms)",
                f"{r['transit_ms']:.0f}",
                "",
                "",
            ),
            (f"{name}: CPU per call (CPU s per s of call)", f"{r['cpu']:.2f}", "", ""),
        ]
    rows.append(
        ("G.722, media only, not captioned: CPU s per s of call", f"{media_cpu:.3f}", "", "")
    )
    speech_s = sum(u.audio.size for u in utterances) / SAMPLE_RATE
    print(
        f"calls benchmark: {len(utterances)} utterances from {folder.relative_to(ROOT.parent)}, "
        f"{speech_s:.1f} s of speech in a {stream.size / SAMPLE_RATE:.1f} s call "
        f"({args.gap:g} s pauses), a reply every {args.reply_every:g} s"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}"
    )
    print()
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
