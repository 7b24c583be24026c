"""A fixed number of caption sessions: past it, new ones are refused instead of slowing everyone."""

from __future__ import annotations

import threading
from contextlib import contextmanager


class SessionLimit:
    """Counts live caption sessions against a limit; thread-safe, never blocks."""

    def __init__(self, limit: int):
        self.limit = limit
        self.active = 0
        self._lock = threading.Lock()

    def try_acquire(self) -> bool:
        """Takes a slot if one is free."""
        with self._lock:
            if self.active >= self.limit:
                return False
            self.active += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.active -= 1

    @contextmanager
    def slot(self):
        """Holds an acquired slot for the length of a `with` block."""
        try:
            yield
        finally:
            self.release()

    def busy_message(self) -> dict:
        """The polite refusal sent to a session that finds every slot taken."""
        return {
            "type": "busy",
            "message": (
                f"The server is busy: all {self.limit} caption sessions are in use. "
                "Please try again in a minute."
            ),
            "active": self.active,
            "limit": self.limit,
        }
