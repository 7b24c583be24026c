"""Writers for a sequence of cues: plain text, SubRip (SRT), WebVTT and JSON, one function each."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from openhear.captions.cues import Cue
from openhear.errors import OpenhearError, UsageError


def _timestamp(seconds: float, separator: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{separator}{ms:03d}"


def _labelled(cue: Cue) -> str:
    return f"{cue.speaker}: {cue.text}" if cue.speaker else cue.text


def to_txt(cues: Sequence[Cue]) -> str:
    """One line per cue ("Speaker: text" when the speaker is known)."""
    return "".join(_labelled(c) + "\n" for c in cues)


def to_srt(cues: Sequence[Cue]) -> str:
    """SubRip: cues numbered from 1, times as HH:MM:SS,mmm."""
    return "\n".join(
        f"{i}\n{_timestamp(c.start_s, ',')} --> {_timestamp(c.end_s, ',')}\n{_labelled(c)}\n"
        for i, c in enumerate(cues, 1)
    )


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(cues: Sequence[Cue]) -> str:
    """WebVTT: a WEBVTT header, times as HH:MM:SS.mmm, the speaker as a <v Speaker> voice span."""
    blocks = ["WEBVTT\n"]
    for c in cues:
        text = _vtt_escape(c.text)
        if c.speaker:
            text = f"<v {_vtt_escape(c.speaker)}>{text}</v>"
        blocks.append(f"{_timestamp(c.start_s, '.')} --> {_timestamp(c.end_s, '.')}\n{text}\n")
    return "\n".join(blocks)


def to_json(cues: Sequence[Cue]) -> str:
    """JSON: the whole text, and segments with times, speaker and timed words."""
    doc = {
        "text": " ".join(c.text for c in cues),
        "segments": [
            {
                "id": i,
                "start": round(c.start_s, 3),
                "end": round(c.end_s, 3),
                "text": c.text,
                "speaker": c.speaker,
                "words": [
                    {
                        "word": w.text.strip(),
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
