"""Conversations the page holds: the relay's transcript store plus a clock for each open one.

Entry times are seconds from the start of the conversation; captions arrive in their own stream's
seconds and replies at the moment they are spoken, so each open conversation keeps its start on
the monotonic clock. A reopened conversation continues after its last entry.
"""

from __future__ import annotations

import threading
import time

from openhear.relay.store import Conversation, TranscriptStore


class OpenConversations:
    """Thread-safe: routes call it from worker threads."""

    def __init__(self, store: TranscriptStore):
        self.store = store
        self._started: dict[int, float] = {}
        self._lock = threading.Lock()

    def start(self, title: str = "") -> Conversation:
        """A new conversation whose clock starts now."""
        conversation = self.store.create_conversation(title)
        with self._lock:
            self._started[conversation.id] = time.monotonic()
        return conversation

    def clock(self, conversation_id: int) -> float:
        """Seconds into the conversation now (an unknown id raises TranscriptError)."""
        with self._lock:
            started = self._started.get(conversation_id)
        if started is None:
            duration = self.store.conversation(conversation_id).duration_s
            started = time.monotonic() - duration - 1.0
            with self._lock:
                started = self._started.setdefault(conversation_id, started)
        return time.monotonic() - started

    def add(self, conversation_id: int, speaker: str, start_s: float, end_s: float, text: str):
        """Stores one line (committed before it returns)."""
        return self.store.append(conversation_id, speaker, start_s, end_s, text)

    def forget(self, conversation_id: int) -> Conversation:
        """Deletes a conversation and its clock."""
        with self._lock:
            self._started.pop(conversation_id, None)
        return self.store.delete(conversation_id)
