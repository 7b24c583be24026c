"""Caption events: a provisional caption is replaceable, a final caption is append-only.

Times are seconds from the start of the audio stream, as numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

SENTENCE_END_MARKS = (".", "?", "!")
"""What ends a sentence in recognised text: the streaming captioner trims its buffer after one,
caption cues and the terminal start a new line after one, and the page (which gets these marks from
`GET /api/settings`) starts a new caption line after one."""


SENTENCE_CLOSERS = "\"')]\u201d\u2019"
"""What may follow a sentence end mark: closing quotes and brackets."""


def ends_sentence(text: str) -> bool:
    """Whether recognised text (a word, a caption) ends a sentence (a closing quote or bracket may
    follow the mark)."""
    return text.rstrip().rstrip(SENTENCE_CLOSERS).endswith(SENTENCE_END_MARKS)


@dataclass(frozen=True)
class Word:
    """One recognised word with its timing."""

    text: str
    """The word as Whisper wrote it (may carry leading space or punctuation)."""
    start_s: float
    """Start of the word in the stream, seconds."""
    end_s: float
    """End of the word in the stream, seconds."""
    probability: float = 1.0
    """Whisper's word probability (0 to 1)."""
    language: str = ""
    """The language the word was heard in ("en", "fr", ...; '' when not known)."""

    def moved(self, start_s: float, end_s: float) -> Word:
        """The same word at other times (in another clock)."""
        return Word(self.text, start_s, end_s, self.probability, self.language)


def words_language(words: Iterable[Word]) -> str:
    """The language most of `words` were heard in ('' when none says)."""
    counts = Counter(w.language for w in words if w.language)
    return counts.most_common(1)[0][0] if counts else ""


@dataclass(frozen=True)
class ProvisionalCaption:
    """Text heard but not yet confirmed; it replaces the previous provisional caption wholesale."""

    text: str
    """The unconfirmed text after the last final caption ('' clears the provisional line)."""
    start_s: float
    """Start time of the first provisional word, seconds."""
    end_s: float
    """End time of the last provisional word, seconds."""
    words: tuple[Word, ...] = field(default_factory=tuple)
    """The provisional words with their times."""

    @property
    def language(self) -> str:
        """The language the words were heard in ('' when not known)."""
        return words_language(self.words)


@dataclass(frozen=True)
class FinalCaption:
    """Confirmed text; appended to the transcript and never changed."""

    text: str
    """The committed text."""
    start_s: float
    """Start time of the first word, seconds."""
    end_s: float
    """End time of the last word, seconds."""
    words: tuple[Word, ...] = field(default_factory=tuple)
    """The committed words with their times."""

    @property
    def language(self) -> str:
        """The language the words were heard in ('' when not known)."""
        return words_language(self.words)


CaptionEvent = ProvisionalCaption | FinalCaption
