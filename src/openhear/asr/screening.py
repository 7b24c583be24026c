"""What a caption may show: provisional words held back until they are sure, phrases Whisper
invents on noise, and an optional profanity mask.

A provisional caption is on screen for a fraction of a second before the final one replaces it,
so it must not show what nobody said. Three things hold its words back (they are not lost: the
final caption shows them once Whisper confirms them):

- a word Whisper itself gives a low probability, and every word after it (what follows an unsure
  word is shakier still, and a caption with a gap in the middle reads as nonsense);
- a word outside the speech the VAD heard (Whisper filling silence or noise);
- a known phrase Whisper writes on silence and noise ("Thank you.", "Thanks for watching!"),
  whole or at the end of the provisional text.

A final caption that is nothing but such a phrase, with words Whisper was unsure of, is dropped:
it is what Whisper writes on a cough or a clatter the VAD took for speech.

The profanity mask replaces the letters of a word on the list after its first with asterisks
("f***"). Deaf and hard-of-hearing readers want what was said, so final captions are masked only
when asked (`all`); by default (`provisional`) only provisional words under a probability
threshold are masked, which is where an invented obscenity would flash. The list is
`openhear/data/profanity_en.txt`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Literal, cast, get_args

from openhear.asr.events import Word

ProfanityMask = Literal["off", "provisional", "all"]
"""Which captions the profanity mask applies to: none; provisional words under the probability
threshold (the default); every caption, final ones included."""
PROFANITY_MASKS: tuple[str, ...] = get_args(ProfanityMask)
"""The mask settings by name (CLI choices, the page's setting)."""

INVENTED_PHRASES = frozenset(
    {
        "thank you",
        "thank you very much",
        "thank you so much",
        "thanks",
        "thanks for watching",
        "thank you for watching",
        "thanks for listening",
        "thank you for listening",
        "thank you so much for watching",
        "please subscribe",
        "like and subscribe",
        "please like and subscribe",
        "subscribe to my channel",
        "see you next time",
        "see you in the next video",
        "ill see you in the next video",
        "bye",
        "bye bye",
        "you",
        "music",
        "applause",
        "subtitles by the amaraorg community",
    }
)
"""Phrases Whisper writes on silence, noise and music (from its YouTube training data), in the
form `phrase_key` gives."""

_HELD_PREFIXES = frozenset(
    " ".join(p.split()[:n])
    for p in INVENTED_PHRASES
    if p.startswith("thank")
    for n in range(1, len(p.split()))
)
"""Starts of the "thank you" phrases ("thank", "thanks for"): at the end of a provisional caption
they wait for the next word, so half an invented phrase cannot flash up either."""

_NOT_WORD = re.compile(r"[^\w\s]+")


def phrase_key(text: str) -> str:
    """How phrases are compared: lower case, no punctuation, single spaces."""
    return " ".join(_NOT_WORD.sub("", text.lower()).split())


def _invented_suffix(words: Sequence[Word], prefixes: bool = False) -> int:
    """How many of the last words form a known invented phrase (0: none); a phrase of one word
    ("you", "bye") counts only as the whole text. With `prefixes`, the start of a "thank you"
    phrase counts too."""
    for n in range(min(len(words), 6), 0, -1):
        key = phrase_key("".join(w.text for w in words[-n:]))
        if ((n > 1 or n == len(words)) and key in INVENTED_PHRASES) or (
            prefixes and key in _HELD_PREFIXES
        ):
            return n
    return 0


class SpeechSpans:
    """The stretches of a stream the VAD called speech, in seconds, to check words against."""

    def __init__(self) -> None:
        self._spans: list[list[float]] = []

    def mark(self, start_s: float, end_s: float) -> None:
        """Record that [start_s, end_s) is speech (calls come in time order)."""
        if self._spans and start_s - self._spans[-1][1] < 1e-6:
            self._spans[-1][1] = end_s
        else:
            self._spans.append([start_s, end_s])

    def forget_before(self, time_s: float) -> None:
        """Drop the spans that end before `time_s` (no word before it is checked again)."""
        while self._spans and self._spans[0][1] < time_s:
            self._spans.pop(0)

    def heard(self, start_s: float, end_s: float, tolerance_s: float = 0.1) -> bool:
        """Whether any speech lies within [start_s - tolerance_s, end_s + tolerance_s]."""
        return any(s < end_s + tolerance_s and e > start_s - tolerance_s for s, e in self._spans)


def hold_back(
    words: Sequence[Word], min_probability: float, speech: SpeechSpans | None = None
) -> list[Word]:
    """The provisional words that may be shown: those before the first one under
    `min_probability` or outside the `speech` heard, less a known invented phrase at the end."""
    shown: list[Word] = []
    for w in words:
        if w.probability < min_probability or (speech and not speech.heard(w.start_s, w.end_s)):
            break
        shown.append(w)
    return shown[: len(shown) - _invented_suffix(shown, prefixes=True)]


def invented_final(words: Sequence[Word], max_probability: float = 0.6) -> bool:
    """Whether final words are a known invented phrase and nothing else, with Whisper unsure of
    them (mean probability under `max_probability`): what it writes on a noise the VAD passed."""
    if not words or _invented_suffix(words) != len(words):
        return False
    return sum(w.probability for w in words) / len(words) < max_probability


@cache
def profanity() -> frozenset[str]:
    """The profanity list: lower-case words, and stems ending in '*' that match any ending."""
    text = resources.files("openhear.data").joinpath("profanity_en.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


@cache
def _stems() -> tuple[str, ...]:
    return tuple(w[:-1] for w in profanity() if w.endswith("*"))


_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def is_profane(word: str) -> bool:
    """Whether `word` (punctuation around it ignored) is on the profanity list."""
    bare = word.strip().lower()
    found = _WORD.search(bare)
    if found is None:
        return False
    bare = found.group()
    return bare in profanity() or bare.startswith(_stems())


def mask_word(text: str) -> str:
    """`text` (a word as Whisper wrote it) with its letters after the first as asterisks, spaces
    and punctuation around it kept: " fuck," -> " f***,"."""
    return _WORD.sub(lambda m: m.group()[0] + "*" * (len(m.group()) - 1), text, count=1)


def masked(words: Sequence[Word], below_probability: float = 1.1) -> list[Word]:
    """The words with each profane one under `below_probability` masked (the default: all)."""
    return [
        Word(mask_word(w.text), w.start_s, w.end_s, w.probability)
        if w.probability < below_probability and is_profane(w.text)
        else w
        for w in words
    ]


def check_mask(value: str) -> ProfanityMask:
    """`value` as a ProfanityMask; anything else raises ValueError naming the choices."""
    if value not in PROFANITY_MASKS:
        raise ValueError(
            f"profanity mask must be one of {', '.join(PROFANITY_MASKS)}, not {value!r}"
        )
    return cast(ProfanityMask, value)
