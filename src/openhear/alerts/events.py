"""Sound events (what a detector heard) and alerts (what the person is told).

Times are seconds on the input stream's clock (the `start_s` of the blocks fed), as numbers.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from enum import IntEnum


class Priority(IntEnum):
    """How urgent an alert is; higher comes first."""

    NOTICE = 1
    """Worth seeing soon: doorbell, knocking, a phone, an appliance, a dog, running water."""
    URGENT = 2
    """Someone may need the person now: a baby crying, shouting, glass breaking, their name."""
    LIFE_SAFETY = 3
    """Smoke, fire or carbon monoxide alarm, a siren: never suppressed, shown loudest."""


@dataclass(frozen=True)
class SoundEvent:
    """One detector's finding for one stretch of audio (a classifier frame or an alarm pattern)."""

    sound: str
    """The alert it is evidence for: a key of openhear.alerts.sounds.SOUNDS ("smoke")."""
    score: float
    """Evidence from 0 to 1: the classifier's best score among the sound's classes; 1 for a
    matched pattern."""
    start_s: float
    """Start of the audio the finding covers, seconds."""
    end_s: float
    """End of the audio the finding covers, seconds."""
    source: str
    """Which detector: "classifier" (YAMNet) or "pattern" (the T3/T4 detector)."""
    detail: str = ""
    """What was heard, for people: the top class ("Smoke detector, smoke alarm"), the pattern
    ("T3 at 3.10 kHz") or the caption word."""


@dataclass(frozen=True)
class Alert:
    """Something the person should be told about, once (repeats wait for the sound's repeat gap)."""

    sound: str
    """Key of the sound ("smoke", "co", "doorbell", ..., "name" for a caption word)."""
    label: str
    """What to show ("Smoke or fire alarm")."""
    priority: Priority
    """How urgent; LIFE_SAFETY alerts are never suppressed."""
    time_s: float
    """When the alert was raised: the end of the audio that completed the evidence, seconds."""
    start_s: float
    """Start of the evidence (the first frame or tone that counted), seconds."""
    score: float
    """Evidence from 0 to 1 (the best score among the frames that counted)."""
    source: str
    """The detector that completed the evidence ("classifier", "pattern" or "captions")."""
    detail: str = ""
    """What was heard (class name, pattern and frequency, or the word in the caption)."""

    @property
    def life_safety(self) -> bool:
        """True for smoke, fire and CO alarms and sirens."""
        return self.priority is Priority.LIFE_SAFETY

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (priority by name, times and score rounded)."""
        d = asdict(self)
        d["priority"] = self.priority.name.lower()
        d["life_safety"] = self.life_safety
        d["time_s"] = round(self.time_s, 3)
        d["start_s"] = round(self.start_s, 3)
        d["score"] = round(self.score, 3)
        return d


def alert_record(alert: Alert, **extra: object) -> dict[str, object]:
    """The alert as the JSON object that subscribers and webhooks get: {"type": "alert"}, the
    fields of `Alert.to_dict`, the local `wall_time` (ISO 8601 with offset), then `extra`."""
    return {
        "type": "alert",
        **alert.to_dict(),
        "wall_time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **extra,
    }
