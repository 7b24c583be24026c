"""Cue: one timed piece of a transcript (a caption on screen, a line of a relay transcript)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from openhear.asr.events import FinalCaption, Word, ends_sentence


@dataclass(frozen=True)
class Cue:
    """Timed text, optionally with its speaker and word timings."""

    start_s: float
    """Start time, seconds."""
    end_s: float
    """End time, seconds (not before start_s)."""
    text: str
    """What was said."""
    speaker: str | None = None
    """Who said it (a WebVTT voice), or None."""
    words: tuple[Word, ...] = field(default_factory=tuple)
    """Word timings, when known."""

    def __post_init__(self) -> None:
        if self.end_s < self.start_s:
            object.__setattr__(self, "end_s", self.start_s)

    @classmethod
    def from_final(cls, caption: FinalCaption, speaker: str | None = None) -> Cue:
        """One final caption as one cue."""
        return cls(caption.start_s, caption.end_s, caption.text, speaker, caption.words)


def cues_from_finals(
    captions: Iterable[FinalCaption],
    max_chars: int = 84,
    max_gap_s: float = 1.5,
    speaker: str | None = None,
) -> list[Cue]:
    """Final captions regrouped into readable cues: a new cue at each sentence end, after a pause
    longer than `max_gap_s`, or before the text passes `max_chars` (two lines of 42)."""
    cues: list[Cue] = []
    words: list[Word] = []

    def close() -> None:
        if words:
            text = "".join(w.text for w in words).strip()
            cues.append(Cue(words[0].start_s, words[-1].end_s, text, speaker, tuple(words)))
            words.clear()

    for caption in captions:
        for w in caption.words or (Word(" " + caption.text, caption.start_s, caption.end_s),):
            too_long = len("".join(x.text for x in words) + w.text.rstrip()) > max_chars + 1
            if words and (too_long or w.start_s - words[-1].end_s > max_gap_s):
                close()
            words.append(w)
            if ends_sentence(w.text):
                close()
    close()
    return cues
