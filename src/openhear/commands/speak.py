"""`openhear speak`: type-to-speak with the Piper voice, to the sound card, a file,
or raw PCM on stdout."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from openhear.errors import UsageError

if TYPE_CHECKING:  # imported where used, so that `--help` and bad arguments answer at once
    from openhear.audio.sinks import Sink
    from openhear.tts.speech import SpeechOptions, Synthesizer


def add_voice_arguments(p: argparse.ArgumentParser) -> None:
    """The voice and how it speaks (shared with `phrases speak` and `converse`)."""
    p.add_argument(
        "--voice",
        metavar="PATH",
        help="a Piper voice .onnx (with its .onnx.json beside it); default: the bundled "
        "en_US-joe-medium",
    )
    p.add_argument("--speed", type=float, default=1.0, help="speaking rate, 0.25 to 4 (default 1)")
    p.add_argument("--volume", type=float, default=1.0, help="loudness, 0 to 1 (default 1)")
    p.add_argument(
        "--pause-ms",
        type=float,
        default=200.0,
        help="silence between sentences in ms (default 200)",
    )


def add_output_arguments(p: argparse.ArgumentParser) -> None:
    """Where the speech goes (shared with `phrases speak`)."""
    add_voice_arguments(p)
    out = p.add_mutually_exclusive_group()
    out.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the speech to FILE (.wav, .flac, .ogg or .mp3) instead of playing it",
    )
    out.add_argument(
        "--raw",
        action="store_true",
        help="write raw signed 16-bit little-endian mono PCM to stdout (rate: see --info)",
    )
    out.add_argument(
        "--info",
        action="store_true",
        help="print the voice's name and sample rate (the --raw format) and exit",
    )
    p.add_argument(
        "--output-device",
        metavar="DEVICE",
        help="sound card to play on (number or name; see `openhear devices`)",
    )


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "speak",
        parents=[common],
        help="speak typed text aloud (Piper voice)",
        description="Speak TEXT with the Piper voice. With -, read stdin and speak each line as "
        "it arrives. --raw writes signed 16-bit little-endian mono PCM at the voice's rate "
        "(22050 Hz for the bundled voice).",
    )
    p.add_argument("text", nargs="?", help="the text to speak, or - to read lines from stdin")
    add_output_arguments(p)
    p.set_defaults(func=run)


def speech_options(args: argparse.Namespace) -> SpeechOptions:
    """SpeechOptions from the voice arguments."""
    from openhear.tts.speech import SpeechOptions

    return SpeechOptions(speed=args.speed, volume=args.volume, pause_ms=args.pause_ms)


def print_voice_info(synthesizer: Synthesizer) -> None:
    rate = synthesizer.sample_rate
    print(f"voice: {synthesizer.name}")
    print(f"sample rate: {rate} Hz")
    print(
        f"--raw output: signed 16-bit little-endian PCM, mono, {rate} Hz (e.g. "
        f"`aplay -f S16_LE -c 1 -r {rate}`)"
    )


def speak(args: argparse.Namespace, text: str | Iterable[str]) -> int:
    """Speak `text` (a string or a stream of text chunks) to the sink the arguments choose."""
    from openhear.tts.piper import load_voice
    from openhear.tts.text import NO_SPEECH_MESSAGE, TextError

    if args.output:
        from openhear.audio.outputs import check_audio_output

        check_audio_output(args.output)  # before the voice loads: a bad OUT fails at once
    options = speech_options(args)
    synthesizer = load_voice(args.voice, warm_up=False)
    if args.info:
        print_voice_info(synthesizer)
        return 0
    from openhear.tts.ahead import made_ahead

    sink: Sink | None = None
    try:
        for block in made_ahead(synthesizer.synthesize(text, options)):
            if sink is None:
                sink = _open_sink(args, synthesizer.sample_rate)
            sink.write(block)
    finally:
        if sink is not None:
            sink.close()
    if sink is None:
        raise TextError(NO_SPEECH_MESSAGE)
    return 0


def _open_sink(args: argparse.Namespace, sample_rate: int) -> Sink:
    from openhear.audio.devices import device_arg
    from openhear.audio.sinks import DeviceSink, FileSink, RawSink
    from openhear.errors import DeviceError
    from openhear.tts.speech import SYNTHETIC_SPEECH_METADATA

    if args.output:
        return FileSink(args.output, sample_rate, SYNTHETIC_SPEECH_METADATA)
    if args.raw:
        return RawSink(sys.stdout.buffer)
    try:
        return DeviceSink(sample_rate, device_arg(args.output_device))
    except DeviceError as exc:
        raise DeviceError(f"{exc}; use -o FILE.wav or --raw to write the speech instead") from None


def run(args: argparse.Namespace) -> int:
    from openhear.tts.text import read_text, require_text

    if args.info:
        return speak(args, "")
    if args.text is None:
        raise UsageError('say what to speak: openhear speak "TEXT" (or - to read stdin)')
    if args.text == "-":
        return speak(args, read_text(sys.stdin.buffer))
    return speak(args, require_text(args.text))
