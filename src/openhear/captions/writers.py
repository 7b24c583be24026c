r"""Writers for a sequence of cues: plain text, SubRip (SRT), WebVTT and JSON, one function each.

Cue text is what someone said or typed, so no writer lets it act as markup or as a control: every
cue's text and speaker become one line with no control characters (`one_line`: a terminal's escape
sequences cannot pass, a line break cannot end a cue or start a forged one), and then each format
escapes what its readers interpret. WebVTT has entities (&lt;, &amp;), which its players decode.
SubRip has none: VLC and FFmpeg (mpv) render <b>, <i>, <u>, <s> and <font>, hide other
properly closed tags and {\...} or {y:...} override codes, and read \N, \n and \h, but show
"&lt;" as those four characters. So an SRT gets look-alike characters for the five that players
interpret (`SRT_LOOKALIKES`): the words read the same and nothing can style or hide them. JSON
escapes by itself (json.dumps) and the web page puts text in the page as text, never as HTML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from openhear.asr.events import ends_sentence
from openhear.asr.sentences import joined
from openhear.captions.cues import Cue
from openhear.errors import OpenhearError, UsageError


def _timestamp(seconds: float, separator: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{separator}{ms:03d}"


_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
"""C0 controls (ESC among them), DEL and C1 controls (CSI among them)."""

SRT_LOOKALIKES = str.maketrans(
    {"<": "\u2039", ">": "\u203a", "{": "\uff5b", "}": "\uff5d", "\\": "\uff3c"}
)
"""What SubRip players interpret in cue text, each as a character that looks alike: < > as
single angle quotation marks (‹ ›), braces and backslash as their full-width forms (｛ ｝ ＼)."""


def one_line(text: str) -> str:
    """`text` as one line without control characters: any run of whitespace (line breaks and tabs
    included) becomes one space, and other control characters are dropped."""
    return _CONTROLS.sub("", " ".join(text.split()))


def _label(text: str, speaker: str | None) -> str:
    return f"{one_line(speaker)}: {text}" if speaker else text


def _lines(cue: Cue) -> list[str]:
    """The cue's lines, each one line without control characters (blank lines dropped: one
    would end an SRT or WebVTT cue)."""
    lines = [one_line(line) for line in (cue.lines or (cue.text,))]
    return [line for line in lines if line] or [""]


def to_txt(cues: Sequence[Cue]) -> str:
    """Running text: a paragraph per sentence, or per turn when the speaker changes ("Speaker:
    text" when the speaker is known); cues that go on with a sentence continue its line."""
    paragraphs: list[tuple[str | None, str]] = []
    for c in cues:
        text = one_line(c.text)
        if not text:
            continue
        if paragraphs and paragraphs[-1][0] == c.speaker and not ends_sentence(paragraphs[-1][1]):
            paragraphs[-1] = (c.speaker, joined(paragraphs[-1][1], text))
        else:
            paragraphs.append((c.speaker, text))
    return "".join(_label(text, speaker) + "\n" for speaker, text in paragraphs)


def to_srt(cues: Sequence[Cue]) -> str:
    """SubRip: cues numbered from 1, times as HH:MM:SS,mmm, the cue's lines, markup characters as
    look-alikes."""
    blocks = []
    for i, c in enumerate(cues, 1):
        lines = _lines(c)
        lines[0] = _label(lines[0], c.speaker)
        text = "\n".join(lines).translate(SRT_LOOKALIKES)
        blocks.append(f"{i}\n{_timestamp(c.start_s, ',')} --> {_timestamp(c.end_s, ',')}\n{text}\n")
    return "\n".join(blocks)


def _vtt_escape(text: str) -> str:
    return one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def document_language(cues: Sequence[Cue]) -> str:
    """The language of every cue ('' when they differ or none is known)."""
    languages = {c.language for c in cues}
    return languages.pop() if len(languages) == 1 else ""


def to_vtt(cues: Sequence[Cue]) -> str:
    """WebVTT: a WEBVTT header (with `Language: fr` when every cue is in one known language), times
    as HH:MM:SS.mmm, the cue's lines, the speaker as a <v Speaker> voice span; in a document of
    several languages each cue's text is a <lang fr> span."""
    language = document_language(cues)
    blocks = [f"WEBVTT\nLanguage: {language}\n" if language else "WEBVTT\n"]
    for c in cues:
        text = "\n".join(_vtt_escape(line) for line in _lines(c))
        if c.language and not language:
            text = f"<lang {c.language}>{text}</lang>"
        if c.speaker:
            text = f"<v {_vtt_escape(c.speaker)}>{text}</v>"
        blocks.append(f"{_timestamp(c.start_s, '.')} --> {_timestamp(c.end_s, '.')}\n{text}\n")
    return "\n".join(blocks)


def to_json(cues: Sequence[Cue]) -> str:
    """JSON: the whole text and its language (when one), and segments with times, speaker,
    language and timed words."""
    doc = {
        "text": " ".join(one_line(c.text) for c in cues),
        "language": document_language(cues) or None,
        "segments": [
            {
                "id": i,
                "start": round(c.start_s, 3),
                "end": round(c.end_s, 3),
                "text": one_line(c.text),
                "speaker": one_line(c.speaker) if c.speaker else c.speaker,
                "language": c.language or None,
                "words": [
                    {
                        "word": one_line(w.text),
                        "start": round(w.start_s, 3),
                        "end": round(w.end_s, 3),
                        "probability": round(w.probability, 3),
                    }
                    for w in c.words
                ],
            }
            for i, c in enumerate(cues)
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


WRITERS: dict[str, Callable[[Sequence[Cue]], str]] = {
    "txt": to_txt,
    "srt": to_srt,
    "vtt": to_vtt,
    "json": to_json,
}
"""Every format by name."""
FORMATS = tuple(WRITERS)


def render(cues: Sequence[Cue], fmt: str) -> str:
    """The cues as a document in `fmt` (txt, srt, vtt or json)."""
    try:
        writer = WRITERS[fmt]
    except KeyError:
        raise UsageError(
            f"unknown caption format {fmt!r} (choose from {', '.join(FORMATS)})"
        ) from None
    return writer(cues)


def write(cues: Sequence[Cue], fmt: str, path: str | Path) -> None:
    """Write the cues to `path` in `fmt`; an unwritable path is a one-line OpenhearError."""
    save_document(render(cues, fmt), path)


def save_document(text: str, path: str | Path) -> None:
    """Write a rendered caption document as UTF-8; an unwritable path is a
    one-line OpenhearError."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OpenhearError(f"cannot write {path} ({exc.strerror or exc})") from None
