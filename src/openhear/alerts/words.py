"""Your name: an alert when the person's name or a word they listed appears in a live caption."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

from openhear.alerts.events import Alert
from openhear.alerts.sounds import SOUNDS
from openhear.asr.events import CaptionEvent

SAME_MENTION_S = 1.0
"""A match starting within this long of an earlier one is the same mention, seen again in a revised
provisional caption or in the final one."""
_REMEMBERED = 32


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+(?:'\w+)*", text.lower())


class WordSpotter:
    """Watches caption events (provisional and final) for the listed words or phrases.

    Matching ignores case and punctuation and needs whole words ("Ada" matches "ada," but not
    "Adam"); a phrase ("Ada Lovelace") matches its words in a row. A mention raises one alert, at
    the first caption that shows it; the same word or phrase is not announced again within the
    `name` sound's repeat gap (a different one is).
    """

    def __init__(self, words: Iterable[str]):
        self.phrases = tuple(dict.fromkeys(tuple(t) for w in words if (t := _tokens(w))))
        """The words and phrases watched for, as lower-case token tuples."""
        self._seen: deque[tuple[tuple[str, ...], float]] = deque(maxlen=_REMEMBERED)
        self._announced: dict[tuple[str, ...], float] = {}

    def reset(self) -> None:
        """Forget earlier mentions and alerts."""
        self._seen.clear()
        self._announced.clear()

    def update(self, event: CaptionEvent) -> list[Alert]:
        """Alerts for mentions that this caption shows for the first time."""
        sound = SOUNDS["name"]
        alerts = []
        for phrase, start_s in self._mentions(event):
            if not self._new(phrase, start_s):
                continue
            last = self._announced.get(phrase)
            if last is not None and start_s - last < sound.repeat_s:
                continue
            self._announced[phrase] = start_s
            alerts.append(
                Alert(
                    sound.key,
                    sound.label,
                    sound.priority,
                    time_s=event.end_s,
                    start_s=start_s,
                    score=1.0,
                    source="captions",
                    detail=self._detail(phrase, event),
                )
            )
        return alerts

    def _mentions(self, event: CaptionEvent) -> list[tuple[tuple[str, ...], float]]:
        """(phrase, start time) of each match; word times where the caption has them."""
        words: list[tuple[str, float]] = [
            (token, w.start_s) for w in event.words or () for token in _tokens(w.text)
        ] or [(token, event.start_s) for token in _tokens(event.text)]
        tokens = [t for t, _ in words]
        found = []
        for phrase in self.phrases:
            n = len(phrase)
            for i in range(len(tokens) - n + 1):
                if tuple(tokens[i : i + n]) == phrase:
                    found.append((phrase, words[i][1]))
        return found

    def _new(self, phrase: tuple[str, ...], start_s: float) -> bool:
        if any(p == phrase and abs(s - start_s) < SAME_MENTION_S for p, s in self._seen):
            return False
        self._seen.append((phrase, start_s))
        return True

    @staticmethod
    def _detail(phrase: tuple[str, ...], event: CaptionEvent) -> str:
        text = event.text if len(event.text) <= 80 else "..." + event.text[-77:]
        return f'"{" ".join(phrase)}" in "{text}"'
