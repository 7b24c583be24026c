"""Admission of caption sessions: refuse a new one politely rather than slow everyone down.

A session is refused when the limit is reached or when the sessions already running fall behind
real time (their unprocessed audio exceeds `max_backlog_s`): on a busy machine the next session
would only make every caption later.
"""

from __future__ import annotations

import threading


class CaptionLoad:
    """The live caption sessions; each has a `backlog_s` (received audio not yet captioned)."""

    def __init__(self, limit: int, max_backlog_s: float):
        self.limit = limit
        self.max_backlog_s = max_backlog_s
        self._sessions: set = set()
        self._lock = threading.Lock()

    @property
    def active(self) -> int:
        return len(self._sessions)

    @property
    def backlog_s(self) -> float:
        """How far behind real time the slowest session is, seconds."""
        with self._lock:
            return max((s.backlog_s for s in self._sessions), default=0.0)

    def admit(self, session) -> dict | None:
        """Adds the session; or, when full or behind, returns the refusal to send instead."""
        behind = self.backlog_s
        with self._lock:
            if len(self._sessions) < self.limit and behind <= self.max_backlog_s:
                self._sessions.add(session)
                return None
            active = len(self._sessions)
        if active >= self.limit:
            reason = f"all {self.limit} caption sessions are in use"
        else:
            reason = f"the {active} running caption sessions use all its processing (captions are {behind:.1f} s behind)"
        return {
            "type": "busy",
            "message": f"The server is busy: {reason}. Please try again in a minute.",
            "active": active,
            "limit": self.limit,
            "backlog_s": round(behind, 1),
        }

    def leave(self, session) -> None:
        with self._lock:
            self._sessions.discard(session)
