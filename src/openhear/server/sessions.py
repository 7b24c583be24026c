"""Admission of caption sessions: refuse a new one politely rather than slow everyone down.

A session is refused when the limit is reached, when the sessions already running keep the
caption workers busy more than `max_utilization` of the time the machine's cores offer (measured
over the last seconds), or when one of them has fallen behind real time by more than
`max_backlog_s`: on a busy machine the next session would only make every caption later.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openhear.server.caption_session import CaptionSession


class CaptionLoad:
    """The live caption sessions; each has a `backlog_s` (received audio not yet captioned)."""

    def __init__(
        self,
        limit: int,
        max_backlog_s: float,
        max_utilization: float = 0.8,
        cores: float | None = None,
    ):
        self.limit = limit
        self.max_backlog_s = max_backlog_s
        self.max_utilization = max_utilization
        self.cores = cores or os.cpu_count() or 1
        self._sessions: set[CaptionSession] = set()
        self._lock = threading.Lock()

    @property
    def active(self) -> int:
        return len(self._sessions)

    @property
    def backlog_s(self) -> float:
        """How far behind real time the slowest session is, seconds."""
        with self._lock:
            return max((s.backlog_s for s in self._sessions), default=0.0)

    @property
    def utilization(self) -> float:
        """Share of the cores the running sessions' captioning took lately (1.0: all of them)."""
        with self._lock:
            return sum(s.busy_fraction for s in self._sessions) / self.cores

    def admit(self, session: CaptionSession) -> dict | None:
        """Adds the session; or, when full or busy, returns the refusal to send instead."""
        behind, used = self.backlog_s, self.utilization
        with self._lock:
            active = len(self._sessions)
            if (
                active < self.limit
                and behind <= self.max_backlog_s
                and used <= self.max_utilization
            ):
                self._sessions.add(session)
                return None
        if active >= self.limit:
            reason = f"all {self.limit} caption sessions are in use"
        elif behind > self.max_backlog_s:
            reason = f"the {active} running caption sessions are {behind:.1f} s behind"
        else:
            reason = (
                f"the {active} running caption sessions use {100 * used:.0f} % of its processing"
            )
        return {
            "type": "busy",
            "message": f"The server is busy: {reason}. Please try again in a minute.",
            "active": active,
            "limit": self.limit,
            "backlog_s": round(behind, 1),
            "utilization": round(used, 2),
        }

    def leave(self, session: CaptionSession) -> None:
        with self._lock:
            self._sessions.discard(session)
