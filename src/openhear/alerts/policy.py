"""AlertPolicy: sound events in, alerts out (thresholds, persistence, repeat gaps, priority)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from openhear.alerts.events import Alert, SoundEvent
from openhear.alerts.sounds import SOUNDS, Sound


class AlertPolicy:
    """Decides when evidence becomes an alert, per sound of the table (openhear.alerts.sounds).

    - Classifier frames count when they reach the sound's threshold; the sound is raised when
      `frames` of its last `window` frames count.
    - A pattern match is complete evidence by itself and raises at once.
    - A sound raised is not raised again within its `repeat_s` (whichever path found it), and a
      sound that `yields_to` another is not raised while that one is within its repeat gap.
    - Alerts completed by the same events come out most urgent first.
    Only the sounds it was built with are raised; events for others are ignored.
    """

    def __init__(self, sounds: Iterable[str]):
        self.sounds = tuple(sounds)
        """The keys of the sounds this policy raises."""
        self._specs: dict[str, Sound] = {k: SOUNDS[k] for k in self.sounds}
        self.reset()

    def reset(self) -> None:
        """Forget all evidence and every earlier alert."""
        self._recent: dict[str, deque[SoundEvent | None]] = {
            k: deque(maxlen=s.window) for k, s in self._specs.items()
        }
        self._last_alert: dict[str, float] = {}

    def update(self, events: Iterable[SoundEvent]) -> list[Alert]:
        """Take events in time order; return the alerts they raise."""
        alerts = []
        for event in events:
            alert = self._add(event)
            if alert:
                alerts.append(alert)
        return sorted(alerts, key=lambda a: -a.priority)

    def _add(self, event: SoundEvent) -> Alert | None:
        spec = self._specs.get(event.sound)
        if spec is None:
            return None
        if event.source == "classifier":
            recent = self._recent[spec.key]
            recent.append(event if event.score >= spec.threshold else None)
            counted = [e for e in recent if e is not None]
            if len(counted) < spec.frames:
                return None
            evidence = counted
        else:
            evidence = [event]
        if not self._may_raise(spec, event.end_s):
            return None
        self._last_alert[spec.key] = event.end_s
        best = max(evidence, key=lambda e: e.score)
        return Alert(
            spec.key,
            spec.label,
            spec.priority,
            time_s=event.end_s,
            start_s=evidence[0].start_s,
            score=best.score,
            source=event.source,
            detail=best.detail,
        )

    def _may_raise(self, spec: Sound, time_s: float) -> bool:
        last = self._last_alert.get(spec.key)
        if last is not None and time_s - last < spec.repeat_s:
            return False
        for other in spec.yields_to:
            raised = self._last_alert.get(other)
            if raised is not None and time_s - raised < SOUNDS[other].repeat_s:
                return False
        return True
