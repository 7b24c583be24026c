"""Spotting words Whisper invented: at the end of a buffer it likes to add "Thank you." or
"See you next time." that no audio supports. Its word aligner betrays them: such words get
(almost) no duration and low probability. The score follows faster-whisper's word anomaly score
(used there for `hallucination_silence_threshold`)."""

from __future__ import annotations

from collections.abc import Sequence

from openhear.asr.events import Word

_SUSPECT = 1.0
"""A word scoring at least this is suspect on its own."""
_BURST = 4.5
"""Three consecutive words scoring this much (1.5 each: no duration, or short and
unsure) are invented."""
_INVENTED = 2.5
"""A trailing run of suspect words scoring this much in total is dropped (two suspect words, or
one with neither duration nor confidence; one real word that is merely unsure or short stays)."""


def anomaly(word: Word) -> float:
    """0 for a well-aligned, confident word; +1 below 15 % probability, up to +2 for no duration."""
    duration = word.end_s - word.start_s
    return float(word.probability < 0.15) + max(0.0, 0.133 - duration) * 15 + float(duration > 2.0)


def drop_invented_tail(words: Sequence[Word]) -> list[Word]:
    """The words without what looks invented: everything from a burst of three mostly unaligned
    words on, or a trailing run of suspect words that together score `_INVENTED`."""
    scores = [anomaly(w) for w in words]
    for i in range(len(words) - 2):
        if scores[i] >= _SUSPECT and sum(scores[i : i + 3]) >= _BURST:
            return list(words[:i])
    n, total = len(words), 0.0
    while n and scores[n - 1] >= _SUSPECT:
        n -= 1
        total += scores[n]
    return list(words[:n]) if total >= _INVENTED else list(words)
