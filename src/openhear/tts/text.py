"""Text made ready to speak: control characters removed, split lazily into bounded sentences.

Splitting is lazy so a megabyte of text streams in bounded memory: only the current sentence
(at most MAX_SENTENCE_CHARS plus one input chunk) is held, and the first sentence can be spoken
before the rest has even been read.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from openhear.errors import OpenhearError

MAX_SENTENCE_CHARS = 400
"""Longest piece handed to the voice at once; longer runs are cut at a space (or hard, if none)."""

CHUNK_CHARS = 4096
"""A long string is consumed in slices of this many characters."""

_SENTENCE_END = re.compile(r"[.!?;\u2026\u3002\uff01\uff1f]+[\"'\u201d\u2019)\]]*\s+|\n")
"""A sentence ends at closing punctuation followed by whitespace, or at a line break (one
utterance per line)."""
_SPACES = re.compile(r"\s+")


class TextError(OpenhearError):
    """Text that cannot be spoken (empty, or nothing speakable left)."""


NO_SPEECH_MESSAGE = "nothing to say: the input has no speakable text"
"""Why text that yields no speech at all (only punctuation, say) is refused, wherever it is."""


def clean_text(text: str) -> str:
    """Drop control, format, private-use and unassigned characters; keep line breaks, other
    whitespace becomes a space."""
    if text.isprintable():
        return text
    return "".join(_clean_char(ch) for ch in text)


def _clean_char(ch: str) -> str:
    if ch == "\n":
        return ch
    if ch.isspace():
        return " "
    return "" if unicodedata.category(ch)[0] == "C" else ch


def require_text(text: str) -> str:
    """The cleaned text, or a TextError if nothing but whitespace or control characters remains."""
    cleaned = clean_text(text)
    if not cleaned.strip():
        raise TextError(
            "nothing to say: the text is empty"
            if not text.strip()
            else "nothing to say: the text has no speakable characters"
        )
    return cleaned


def read_text(stream: BinaryIO, chunk_bytes: int = 65536) -> Iterator[str]:
    """Decode a UTF-8 byte stream (stdin) chunk by chunk, as soon as bytes arrive; bad
    UTF-8 is a TextError."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    while True:
        data = stream.read1(chunk_bytes) if hasattr(stream, "read1") else stream.read(chunk_bytes)
        try:
            yield decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise TextError(
                f"the input is not valid UTF-8 (bad byte at offset {offset + exc.start})"
            ) from None
        if not data:
            return
        offset += len(data)


def _chunks(text: str | Iterable[str]) -> Iterator[str]:
    if isinstance(text, str):
        for i in range(0, len(text), CHUNK_CHARS):
            yield text[i : i + CHUNK_CHARS]
    else:
        yield from text


def iter_sentences(text: str | Iterable[str], max_chars: int = MAX_SENTENCE_CHARS) -> Iterator[str]:
    """Yield cleaned sentences of at most `max_chars` characters, reading `text`
    only as far as needed."""
    buf = ""
    for chunk in _chunks(text):
        buf += clean_text(chunk)
        while True:
            piece, buf = _take_sentence(buf, max_chars)
            if piece is None:
                break
            if piece:
                yield piece
    rest = _SPACES.sub(" ", buf).strip()
    if rest:
        yield rest


def _take_sentence(buf: str, max_chars: int) -> tuple[str | None, str]:
    """(sentence, remainder) if `buf` holds a complete or over-long sentence, else (None, buf)."""
    end = _SENTENCE_END.search(buf)
    if end and end.end() <= max_chars + 1:
        cut = end.end()
    elif len(buf) > max_chars:
        space = buf.rfind(" ", 0, max_chars)
        cut = space + 1 if space > 0 else max_chars
    else:
        return None, buf
    return _SPACES.sub(" ", buf[:cut]).strip(), buf[cut:]
