"""Cues: timed pieces of a transcript, built to subtitle conventions.

`cues_from_finals` is the one cue builder: every export (`openhear caption -o`, the web page's
download, stored conversations, the OpenAI-compatible srt/vtt/json responses) goes through it.
It follows the rules subtitle tools and style guides share (the Netflix Timed Text Style Guide,
BBC subtitle guidelines; stable-ts and whisperX regroup Whisper's words the same way):

- Fragments are joined into sentences first: a pause is not a sentence end, so a full stop that
  the next fragment shows to be invented goes (openhear.asr.sentences).
- A cue is one sentence, or a piece of one: a long sentence is split where it reads best, at a
  comma or other punctuation, at a pause, before a conjunction or preposition, into pieces of
  similar length, so that each piece fits two lines of `max_line_chars` and `max_duration_s`.
  A long pause (`max_gap_s`) always ends a cue.
- No cue of one word unless the speaker said just one word (between pauses): a lone word joins
  its neighbour when the two fit in a cue.
- Each cue's text is broken into at most two lines of about `max_line_chars`, at the most
  balanced point that does not leave an article or a preposition at a line's end.
- Times: cues never overlap; a cue stays at least `min_duration_s` on screen when the next cue
  leaves room, and never more than `max_duration_s`.

Finals without word times (text read back from a store or a page) get word times spread over
their span in proportion to the words' lengths, as subtitle tools do for such text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from openhear.asr.events import FinalCaption, Word, ends_sentence, words_language
from openhear.asr.sentences import sentence_words


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
    lines: tuple[str, ...] = field(default_factory=tuple)
    """The text as subtitle lines (at most two), as the cue builder broke it; empty: one line."""
    language: str = ""
    """The language of the text ("en", "fr", ...; '' when not known: then the words' own)."""

    def __post_init__(self) -> None:
        if self.end_s < self.start_s:
            object.__setattr__(self, "end_s", self.start_s)
        if not self.language:
            object.__setattr__(self, "language", words_language(self.words))

    @classmethod
    def from_final(cls, caption: FinalCaption, speaker: str | None = None) -> Cue:
        """One final caption as one cue."""
        return cls(caption.start_s, caption.end_s, caption.text, speaker, caption.words)


@dataclass(frozen=True)
class CueOptions:
    """Subtitle conventions the cue builder keeps."""

    max_line_chars: int = 42
    """Characters per line (Netflix and the BBC: 42 for Latin scripts; a speaker label counts)."""
    max_lines: int = 2
    """Lines per cue."""
    min_duration_s: float = 1.0
    """Shortest time a cue stays on screen, where the next cue leaves room (a cue is never
    stretched into the next)."""
    max_duration_s: float = 7.0
    """Longest time a cue stays on screen; longer speech is split into more cues."""
    max_gap_s: float = 1.5
    """A pause at least this long between two words always ends a cue."""

    def __post_init__(self) -> None:
        if self.max_line_chars < 10 or self.max_lines < 1:
            raise ValueError("max_line_chars must be at least 10 and max_lines at least 1")
        if not 0 <= self.min_duration_s <= self.max_duration_s:
            raise ValueError("min_duration_s must lie between 0 and max_duration_s")
        if self.max_gap_s <= 0:
            raise ValueError("max_gap_s must be positive")

    @property
    def max_chars(self) -> int:
        """Characters a cue may hold."""
        return self.max_line_chars * self.max_lines


SUBTITLES = CueOptions()
"""The usual conventions: two lines of 42 characters, 1 to 7 s on screen."""

_CLAUSE_END = (",", ";", ":", "\u2014", "-")
_CLINGY = frozenset(
    "a an the to of in on at by for from with into onto about as and but or nor so if than that "
    "my your his her its our their this these those some any each every i we you he she they "
    "it's i'm i'll i've "
    "i'd we're you're is was are were be been not no very".split()
)
"""Words that lean on the word after them: a cue or a line does not end on one."""
_STARTERS = frozenset(
    "and but or nor so because which who whom whose that when where while although though if "
    "unless until after before since as than to of in on at by for from with".split()
)
"""Words a cue or a line may well start with (a clause or a phrase begins there)."""


def _bare(word: Word) -> str:
    return word.text.strip().lower().strip("\"'()[],.;:!?\u201c\u201d\u2018\u2019")


def _text(words: Sequence[Word]) -> str:
    return "".join(w.text for w in words).strip()


def _spread(caption: FinalCaption) -> tuple[Word, ...]:
    """Word times for a caption that has none: its span shared in proportion to word length."""
    return spread_words(caption.text, caption.start_s, caption.end_s)


def spread_words(text: str, start_s: float, end_s: float, language: str = "") -> tuple[Word, ...]:
    """Words of `text` timed by sharing start_s..end_s in proportion to word length (for text
    whose word times are not known)."""
    tokens = text.split()
    if not tokens:
        return ()
    weights = [len(t) + 1 for t in tokens]
    total = sum(weights)
    span = max(0.0, end_s - start_s)
    words, t = [], start_s
    for token, weight in zip(tokens, weights, strict=True):
        d = span * weight / total
        words.append(Word(" " + token, t, t + d, language=language))
        t += d
    return tuple(words)


def _break_cost(words: Sequence[Word], k: int) -> float:
    """How well a cue break between words[k-1] and words[k] reads (lower is better): after a
    comma or other punctuation, at a pause, before a conjunction or preposition is good; after an
    article or a preposition is bad."""
    left, right = words[k - 1], words[k]
    cost = 0.0
    text = left.text.rstrip()
    if text.endswith(_CLAUSE_END):
        cost -= 0.8
    elif _bare(left) in _CLINGY:
        cost += 1.5
    if _bare(right) in _STARTERS:
        cost -= 0.3
    return cost - min(right.start_s - left.end_s, 1.0) * 0.8  # a pause


def _fits(words: Sequence[Word], o: CueOptions, extra_chars: int) -> bool:
    return (
        len(_text(words)) + extra_chars <= o.max_chars
        and words[-1].end_s - words[0].start_s <= o.max_duration_s
    )


_CUE_COST = 1.0
"""The cost of one more cue: fewer, fuller cues are better, unless a break reads much better."""
_LONE_WORD_COST = 4.0
"""The cost of a cue of one word (a last resort inside a sentence)."""


def _split(words: list[Word], o: CueOptions, extra_chars: int) -> list[list[Word]]:
    """Words of one sentence (or a stretch between long pauses) as the pieces that each fit a cue
    with the least cost (cues, how well each break reads, lone words): dynamic programming over
    the break points, as Knuth and Plass break paragraphs into lines."""
    n = len(words)
    best: list[tuple[float, int]] = [(0.0, 0)] + [(float("inf"), 0)] * n
    for end in range(1, n + 1):
        for start in range(end - 1, -1, -1):
            piece = words[start:end]
            if len(piece) > 1 and not _fits(piece, o, extra_chars):
                break  # a longer piece fits no better
            cost = best[start][0] + _CUE_COST + _LONE_WORD_COST * (len(piece) == 1)
            if end < n:
                cost += _break_cost(words, end)
            if cost < best[end][0]:
                best[end] = (cost, start)
    pieces = []
    end = n
    while end > 0:
        start = best[end][1]
        pieces.append(words[start:end])
        end = start
    return pieces[::-1]


def _groups(words: Sequence[Word], o: CueOptions) -> list[list[Word]]:
    """Words cut after each sentence end and at each long pause."""
    groups: list[list[Word]] = []
    current: list[Word] = []
    for w in words:
        if current and w.start_s - current[-1].end_s >= o.max_gap_s:
            groups.append(current)
            current = []
        current.append(w)
        if ends_sentence(w.text):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def _merge_lone_words(pieces: list[list[Word]], o: CueOptions, extra: int) -> list[list[Word]]:
    """A piece of one word joins the next piece (or else the previous one) when no long pause
    parts them and the two fit in one cue; a word said on its own stays a cue."""
    out: list[list[Word]] = []
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        if len(piece) == 1:
            nxt = pieces[i + 1] if i + 1 < len(pieces) else None
            if (
                nxt
                and nxt[0].start_s - piece[-1].end_s < o.max_gap_s
                and _fits(piece + nxt, o, extra)
            ):
                pieces[i + 1] = piece + nxt
                i += 1
                continue
            if (
                out
                and piece[0].start_s - out[-1][-1].end_s < o.max_gap_s
                and _fits(out[-1] + piece, o, extra)
            ):
                out[-1] = out[-1] + piece
                i += 1
                continue
        out.append(piece)
        i += 1
    return out


def break_lines(text: str, o: CueOptions = SUBTITLES, first_line_extra: int = 0) -> tuple[str, ...]:
    """`text` as at most `o.max_lines` lines of about `o.max_line_chars` (the first line has
    `first_line_extra` characters less room, for a speaker label): unbroken when it fits one line,
    else at the most balanced break that leaves no article or preposition at a line's end,
    preferring a break after punctuation."""
    if len(text) + first_line_extra <= o.max_line_chars or o.max_lines < 2:
        return (text,)
    tokens = text.split(" ")
    best: tuple[float, int] | None = None
    for k in range(1, len(tokens)):
        first, second = " ".join(tokens[:k]), " ".join(tokens[k:])
        over = max(0, len(first) + first_line_extra - o.max_line_chars) + max(
            0, len(second) - o.max_line_chars
        )
        cost = 10.0 * over + abs(len(first) + first_line_extra - len(second)) / o.max_line_chars
        last = tokens[k - 1]
        if last.endswith(_CLAUSE_END + (".", "?", "!")):
            cost -= 0.5
        elif last.lower().strip("\"'(") in _CLINGY:
            cost += 0.6
        if best is None or cost < best[0]:
            best = (cost, k)
    if best is None:
        return (text,)
    k = best[1]
    first, rest = " ".join(tokens[:k]), " ".join(tokens[k:])
    return (first, *break_lines(rest, replace(o, max_lines=o.max_lines - 1)))


def retime(cues: Sequence[Cue], options: CueOptions = SUBTITLES) -> list[Cue]:
    """The cues in time order, none overlapping the next, each at least `min_duration_s` on screen
    where the next cue leaves room and at most `max_duration_s`."""
    ordered = sorted(cues, key=lambda c: c.start_s)
    out = []
    for i, c in enumerate(ordered):
        end = max(c.end_s, c.start_s + options.min_duration_s)
        end = min(end, c.start_s + options.max_duration_s)
        if i + 1 < len(ordered):
            end = min(end, max(ordered[i + 1].start_s, c.start_s))
        out.append(replace(c, end_s=end))
    return out


def cues_from_finals(
    captions: Iterable[FinalCaption],
    speaker: str | None = None,
    options: CueOptions = SUBTITLES,
) -> list[Cue]:
    """Final captions (one speaker's, in order) as subtitle cues; see the module's rules."""
    o = options
    words: list[Word] = []
    for caption in captions:
        words += [w for w in (caption.words or _spread(caption)) if w.text.strip()]
    label = len(speaker) + 2 if speaker else 0  # "Them: "
    pieces = [p for g in _groups(sentence_words(words), o) for p in _split(g, o, label)]
    cues = []
    for piece in _merge_lone_words(pieces, o, label):
        text = _text(piece)
        lines = break_lines(text, o, label)
        cues.append(Cue(piece[0].start_s, piece[-1].end_s, text, speaker, tuple(piece), lines))
    return retime(cues, o)
