"""LocalAgreement-2 (Machacek et al. 2023): commit the words two consecutive hypotheses agree on.

Each hypothesis is Whisper's reading of the whole audio buffer, which still starts with words
already committed; those are dropped by time and by matching the committed tail, so only new
words are compared and committed.
"""

from __future__ import annotations

import re
from collections import deque

from openhear.asr.events import Word

_TAIL_WORDS = 5
_NOT_WORD = re.compile(r"[^\w']+")


def word_key(word: Word) -> str:
    """How words are compared: lower case, punctuation ignored ("Reader," agrees with "reader")."""
    return _NOT_WORD.sub("", word.text.lower())


class LocalAgreement:
    """The commit rule of the streaming captioner, with the committed tail it
    deduplicates against."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new stream)."""
        self.committed_end_s = 0.0
        self._tail: deque[str] = deque(maxlen=_TAIL_WORDS)
        self._previous: list[Word] = []

    @property
    def pending(self) -> list[Word]:
        """The uncommitted words of the latest hypothesis (the provisional caption)."""
        return list(self._previous)

    def _new_words(self, hypothesis: list[Word]) -> list[Word]:
        words = [w for w in hypothesis if w.start_s > self.committed_end_s - 0.1 and word_key(w)]
        if words and abs(words[0].start_s - self.committed_end_s) < 1.0:
            tail = list(self._tail)
            for n in range(min(len(tail), len(words)), 0, -1):
                if tail[-n:] == [word_key(w) for w in words[:n]]:
                    return words[n:]
        return words

    def _commit(self, words: list[Word]) -> list[Word]:
        if words:
            self.committed_end_s = words[-1].end_s
            self._tail.extend(word_key(w) for w in words)
        return words

    def update(self, hypothesis: list[Word]) -> list[Word]:
        """Take a new hypothesis; return the words it newly commits (its agreed prefix)."""
        new = self._new_words(hypothesis)
        n = 0
        while n < min(len(new), len(self._previous)) and word_key(new[n]) == word_key(
            self._previous[n]
        ):
            n += 1
        self._previous = new[n:]
        return self._commit(new[:n])

    def revised(self, words: list[Word]) -> None:
        """The latest committed words were replaced by `words` (the revision pass): compare
        what follows with their tail."""
        if words:
            self.committed_end_s = max(self.committed_end_s, words[-1].end_s)
            self._tail.extend(word_key(w) for w in words)

    def commit_all(self, hypothesis: list[Word]) -> list[Word]:
        """At an endpoint or the end of the stream: commit every new word of this hypothesis."""
        new = self._new_words(hypothesis)
        self._previous = []
        return self._commit(new)
