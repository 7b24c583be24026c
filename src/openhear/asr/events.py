"""Caption events: a provisional caption is replaceable, a final caption is appended, and a
revised caption replaces the finals of one utterance.

Live captions are made in two passes (openhear.asr.streaming): the fast pass commits final
captions within a second of the words being said; when an utterance ends, the revision pass
decodes it again whole, with context, and its text replaces what the fast pass committed for it.
Every final carries the number of its utterance, so a RevisedCaption names what it replaces.
`revised_finals` applies the revisions: it is the transcript to store and export.

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
    """Confirmed text, appended to the transcript; only a RevisedCaption of the same utterance
    replaces it."""

    text: str
    """The committed text."""
    start_s: float
    """Start time of the first word, seconds."""
    end_s: float
    """End time of the last word, seconds."""
    words: tuple[Word, ...] = field(default_factory=tuple)
    """The committed words with their times."""
    utterance: int = 0
    """The utterance the text belongs to: numbers count up from 1 over a captioner's life (0:
    no revision will ever name it). One utterance may have several finals."""

    @property
    def language(self) -> str:
        """The language the words were heard in ('' when not known)."""
        return words_language(self.words)


@dataclass(frozen=True)
class RevisedCaption:
    """The revision pass's text for one utterance: it replaces every final caption (and any
    earlier revision) with the same `utterance`, in their place in the transcript."""

    text: str
    """The whole utterance's text as the revision pass heard it."""
    start_s: float
    """Start time of the first word, seconds."""
    end_s: float
    """End time of the last word, seconds."""
    words: tuple[Word, ...]
    """The utterance's words with their times."""
    utterance: int
    """The utterance whose finals this replaces."""
    replaced: str = ""
    """The text it replaces (the finals of the utterance, as shown until now)."""

    @property
    def language(self) -> str:
        """The language the words were heard in ('' when not known)."""
        return words_language(self.words)

    def as_final(self) -> FinalCaption:
        """This revision as the one final caption of its utterance."""
        return FinalCaption(self.text, self.start_s, self.end_s, self.words, self.utterance)


CaptionEvent = ProvisionalCaption | FinalCaption | RevisedCaption


def revised_finals(events: Iterable[CaptionEvent]) -> list[FinalCaption]:
    """The final captions in order, each utterance's replaced by its latest revision (an
    utterance that was revised becomes one final caption with the revised text)."""
    by_utterance: dict[int, list[FinalCaption]] = {}
    order: list[tuple[int, int]] = []  # (utterance, index among the unnumbered) in order
    unnumbered: list[FinalCaption] = []
    for event in events:
        if isinstance(event, FinalCaption):
            if event.utterance == 0:
                order.append((0, len(unnumbered)))
                unnumbered.append(event)
            else:
                if event.utterance not in by_utterance:
                    order.append((event.utterance, 0))
                by_utterance.setdefault(event.utterance, []).append(event)
        elif isinstance(event, RevisedCaption):
            if event.utterance not in by_utterance:
                order.append((event.utterance, 0))
            by_utterance[event.utterance] = [event.as_final()] if event.text else []
    out: list[FinalCaption] = []
    for utterance, i in order:
        out += [unnumbered[i]] if utterance == 0 else by_utterance[utterance]
    return out
