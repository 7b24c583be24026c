"""Echo benchmark: how much of our spoken reply, heard back by the microphone, reaches the
captions, and how much of the other person's speech over it is kept: echo cancellation (AEC3)
against the mute gate and against doing nothing.

    .venv/bin/python bench/echo.py [--quick]

The room: the reply is the bundled Piper voice saying REPLY_TEXT; the loudspeaker-to-microphone
path is a room impulse response made here (seeded: a direct path at 1 m, early reflections, and
an exponentially decaying diffuse tail with RT60 `--rt60` seconds), plus a playback delay
(`--delay-ms`: the sound card's buffers) the canceller is not told about; the echo is `--echo-db`
dB relative to the near-end talker. As in a real conversation the disclosure notice is spoken
first (alone: the canceller adapts to the room; `--cold` leaves it out), then after a second of
quiet the reply. The near-end talker is real read speech from shared/data/speech-dev (LibriSpeech
dev-clean), starting `--talk-at` s after the reply begins, so most of the reply is spoken over
(double talk). A little noise (-60 dBFS) stands for the room.

Each mode runs the real path: a relay `ConversationSession` with the live streaming captioner
(LIVE_OPTIONS, tiny.en), the reply handed to it as the player would get it, and the microphone
signal in 20 ms blocks.

- ERLE (echo return loss enhancement, dB): 10 log10 of the echo's energy over the energy left
  after cancellation, on the echo alone (no near-end talker), over the notice (the filter
  adapting) and over the reply, for several playback delays the canceller is not told.
- WER of the near-end talker: the final captions of the double-talk run against the talker's
  transcript (Whisper's English normaliser).
- Reply words captioned: how many words of the reply that the talker never says appear in the
  captions (the echo leaking into the captions as "them").
- No echo at the microphone (a headset, or the browser's own canceller has removed it): the
  talker's WER with echo cancellation on although the replies are not heard back, the talker over
  the reply as above and, as in the page's test, from the start (over the notice, the first
  speech, before the canceller has heard anything of the room), then over the notice again with
  the canceller told that the echo has been removed already (as the page tells it when the
  browser's own canceller is on). Anything the canceller does to them is damage.

--quick: one delay (the default); otherwise ERLE is also measured for several playback delays.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy.signal import fftconvolve

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from openhear.asr.wer import normalize, wer  # noqa: E402
from openhear.audio.block import AudioBlock  # noqa: E402
from openhear.audio.files import read_audio  # noqa: E402
from openhear.audio.resample import resample  # noqa: E402
from openhear.relay.echo import EchoCanceller, EchoGate  # noqa: E402

RATE = 16000
"""The microphone's rate (the captioner's)."""
BLOCK_S = 0.02
"""Microphone block length."""
REPLY_TEXT = (
    "Thank you for calling me back. I wanted to ask about the appointment on Thursday "
    "afternoon, and whether the pharmacy has my prescription ready."
)
TALKER = "librispeech_dev-clean_2412-153948-0000"
"""The near-end talker (11.7 s of read speech)."""
SHARED = ROOT.parent / "shared" / "data" / "speech-dev"


def room_impulse_response(rt60_s: float, seed: int = 7, length_s: float = 0.5) -> np.ndarray:
    """A synthetic room impulse response at RATE: the direct path (1 m: 2.9 ms), six early
    reflections, and a diffuse tail of noise decaying by 60 dB in `rt60_s`; peak 1."""
    rng = np.random.default_rng(seed)
    n = int(length_s * RATE)
    t = np.arange(n) / RATE
    rir = np.zeros(n)
    direct = int(0.0029 * RATE)
    rir[direct] = 1.0
    for _ in range(6):
        at = direct + int(rng.uniform(0.002, 0.02) * RATE)
        rir[at] += rng.uniform(-0.6, 0.6)
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60_s) * 0.25
    tail[: direct + int(0.005 * RATE)] = 0.0
    return (rir + tail) / np.abs(rir + tail).max()


Program = list[tuple[float, list[AudioBlock]]]
"""Our speech: (when it is handed to the player, seconds; the voice's blocks), in order."""


def our_speech(warm: bool) -> tuple[Program, np.ndarray, float]:
    """What we say (the disclosure notice first with `warm`, then a second of quiet, then the
    reply), the whole of it at RATE as it plays, and when the reply starts, seconds."""
    from openhear.relay.session import DEFAULT_DISCLOSURE
    from openhear.tts.piper import load_voice

    voice = load_voice()
    program: Program = []
    at = 0.0
    if warm:
        notice = list(voice.synthesize(DEFAULT_DISCLOSURE))
        program.append((0.0, notice))
        at = notice[-1].end_s + 1.0
    program.append((at, list(voice.synthesize(REPLY_TEXT))))
    end = at + program[-1][1][-1].end_s
    audio = np.zeros(int(end * RATE) + 1, np.float32)
    for start, blocks in program:
        said = np.concatenate([b.mono() for b in blocks])
        said = resample(said, blocks[0].sample_rate, RATE)
        first = int(start * RATE)
        audio[first : first + said.size] = said[: audio.size - first]
    return program, audio, at


def hand_to_player(echo: EchoCanceller | EchoGate, program: Program) -> None:
    for start, blocks in program:
        for b in blocks:
            echo.playing(start, b)


def echo_path(reply: np.ndarray, rir: np.ndarray, delay_ms: float, total: int) -> np.ndarray:
    echo = fftconvolve(reply, rir)[: reply.size + rir.size]
    out = np.zeros(total, np.float32)
    at = int(delay_ms / 1000 * RATE)
    n = min(echo.size, total - at)
    out[at : at + n] = echo[:n]
    return out


def erle(program: Program, echo: np.ndarray, spans: dict[str, tuple[float, float]]) -> dict:
    """ERLE (dB) over each named span (start, end seconds) of the echo alone."""
    canceller = EchoCanceller()
    hand_to_player(canceller, program)
    step = int(BLOCK_S * RATE)
    out = np.concatenate(
        [
            canceller.apply(AudioBlock.from_mono(echo[i : i + step], RATE, i / RATE)).mono()
            for i in range(0, echo.size, step)
        ]
    )

    def db(a: np.ndarray, b: np.ndarray) -> float:
        return round(float(10 * np.log10(np.sum(a**2) / max(np.sum(b**2), 1e-12))), 1)

    cut = {name: slice(int(a * RATE), int(b * RATE)) for name, (a, b) in spans.items()}
    return {name: db(echo[c], out[c]) for name, c in cut.items()}


def caption(
    mode: str, program: Program, mic: np.ndarray, transcriber, echo_removed: bool = False
) -> list[str]:
    """Final captions ('them') of the microphone signal, our speech handed to the player;
    `echo_removed`: the canceller is told the echo has been removed already (the page, with the
    browser's own canceller on)."""
    from openhear.asr.streaming import LIVE_OPTIONS, StreamingCaptioner
    from openhear.relay.session import ConversationSession, RelayOptions
    from openhear.relay.store import Entry, TranscriptStore

    options = RelayOptions(
        disclosure="", suppress_echo=mode != "none", echo="mute" if mode == "mute" else "cancel"
    )
    with tempfile.TemporaryDirectory() as tmp, TranscriptStore(Path(tmp) / "t.db") as store:
        session = ConversationSession(
            store, StreamingCaptioner(transcriber, LIVE_OPTIONS), None, options
        )
        if options.suppress_echo:
            hand_to_player(session.echo, program)
        if echo_removed and isinstance(session.echo, EchoCanceller):
            session.echo.assume_unheard()
        step = int(BLOCK_S * RATE)
        said = []
        for i in range(0, mic.size, step):
            block = AudioBlock.from_mono(mic[i : i + step], RATE, i / RATE)
            said += [e.text for e in session.hear(block) if isinstance(e, Entry)]
        said += [e.text for e in session.close() if isinstance(e, Entry)]
    return said


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one playback delay only")
    ap.add_argument("--cold", action="store_true", help="no notice first: the reply is the first")
    ap.add_argument("--rt60", type=float, default=0.4, help="room reverberation time, s")
    ap.add_argument("--delay-ms", type=float, default=60.0, help="playback delay, ms")
    ap.add_argument("--echo-db", type=float, default=0.0, help="echo level vs the talker, dB")
    ap.add_argument("--talk-at", type=float, default=1.0, help="talker starts this far in, s")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = ap.parse_args()

    manifest = [json.loads(line) for line in (SHARED / "manifest.jsonl").open()]
    talker = next(u for u in manifest if u["id"] == TALKER)
    near = read_audio(SHARED / talker["audio"]).mono()
    program, ours, reply_at = our_speech(warm=not args.cold)
    rir = room_impulse_response(args.rt60)
    start = int((reply_at + args.talk_at) * RATE)
    total = start + near.size + RATE
    near_placed = np.zeros(total, np.float32)
    near_placed[start : start + near.size] = near
    echo = echo_path(ours, rir, args.delay_ms, total)
    # the echo's level against the talker's, over the time both sound
    both = slice(start, min(start + near.size, ours.size))
    gain = np.sqrt(np.mean(near_placed[both] ** 2) / np.mean(echo[both] ** 2))
    gain *= 10 ** (args.echo_db / 20)
    noise = np.random.default_rng(1).standard_normal(total).astype(np.float32) * 1e-3
    results: dict = {
        "notice_first": not args.cold,
        "reply_s": round(ours.size / RATE - reply_at, 2),
        "talker": TALKER,
        "talker_starts_s_into_reply": args.talk_at,
        "rt60_s": args.rt60,
        "echo_db": args.echo_db,
        "host": platform.node(),
    }
    spans = {"reply": (reply_at, ours.size / RATE + 0.3)}
    if reply_at:
        spans["notice (first speech, filter adapting)"] = (0.0, reply_at)

    delays = [args.delay_ms] if args.quick else [0.0, args.delay_ms, 150.0, 300.0, 500.0, 1000.0]
    results["erle_db"] = {}
    for delay in delays:
        e = echo_path(ours, rir, delay, total) * gain + noise
        results["erle_db"][f"{delay:g} ms"] = row = erle(program, e, spans)
        print(f"ERLE at {delay:g} ms playback delay: {row}")

    from openhear.asr.whisper import load_transcriber

    transcriber = load_transcriber()
    mic = near_placed + echo * gain + noise
    talker_words = set(normalize(talker["text"]))
    reply_only = [w for w in normalize(REPLY_TEXT) if w not in talker_words]
    results["modes"] = {}
    for mode in ("none", "mute", "cancel"):
        said = caption(mode, program, mic, transcriber)
        words = normalize(" ".join(said))
        leaked = sum(1 for w in reply_only if w in words)
        results["modes"][mode] = out = {
            "talker_wer": round(wer(talker["text"], " ".join(said)), 3),
            "reply_words_captioned": f"{leaked}/{len(reply_only)}",
            "captions": said,
        }
        print(
            f"{mode:7s} talker WER {out['talker_wer']:.3f}, "
            f"reply words captioned {out['reply_words_captioned']}"
        )
    alone = caption("none", program, near_placed + noise, transcriber)
    results["talker_alone_wer"] = round(wer(talker["text"], " ".join(alone)), 3)
    print(f"talker alone (no reply playing) WER {results['talker_alone_wer']:.3f}")
    from_start = np.zeros(total, np.float32)
    from_start[: near.size] = near
    results["no_echo_talker_wer"] = row = {
        where: round(
            wer(talker["text"], " ".join(caption("cancel", program, mic, transcriber, told))), 3
        )
        for where, mic, told in (
            ("over the reply", near_placed + noise, False),
            ("over the notice", from_start + noise, False),
            ("over the notice, told the echo is removed", from_start + noise, True),
        )
    }
    print(f"no echo at the microphone, echo cancellation on: talker WER {row}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
