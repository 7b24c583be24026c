"""The conversations the page has open: one relay ConversationSession each, on a wall clock.

The page's typed replies go through the session's `say` (stored, then spoken; their audio is the
echo canceller's reference, or, with echo 'mute', the echo gate is closed for the audio's length
plus a tail, because the page plays the reply as soon as it arrives) and its caption streams
join with `listen` at the conversation time they start, so their final captions are stored as
"them" the moment they are made, and our own reply heard back by the microphone is not. A
reopened conversation continues a second after its last entry.
"""

from __future__ import annotations

import threading
import time

from openhear.relay.session import DEFAULT_DISCLOSURE, ConversationSession, RelayOptions
from openhear.relay.store import Conversation, Transcript, TranscriptError, TranscriptStore
from openhear.server.limits import is_row_id
from openhear.tts.speech import Synthesizer

ECHO_TAIL_MS = 1000.0
"""Caption input kept silent after a reply's audio ends, milliseconds: the CLI's tail plus the
page's round trip (the gate opens when the reply is synthesized; the browser plays it once the
whole WAV has arrived and been decoded)."""


class OpenConversations:
    """Thread-safe: routes call it from worker threads."""

    def __init__(self, store: TranscriptStore):
        self.store = store
        self._open: dict[int, ConversationSession] = {}
        self._lock = threading.Lock()

    def _session(
        self,
        voice: Synthesizer | None,
        title: str = "",
        disclosure: str = "",
        conversation_id: int | None = None,
        at_s: float = 0.0,
        echo: str = "cancel",
    ) -> ConversationSession:
        started = time.monotonic() - at_s
        options = RelayOptions(
            disclosure=disclosure, echo=echo, echo_tail_ms=ECHO_TAIL_MS, title=title
        )
        return ConversationSession(
            self.store, None, voice, options, lambda: time.monotonic() - started, conversation_id
        )

    def start(
        self,
        voice: Synthesizer | None,
        title: str = "",
        disclosure: bool = True,
        notice: str | None = None,
        echo: str = "cancel",
    ) -> ConversationSession:
        """A new conversation whose clock starts now; its `options.disclosure` is the notice
        the page speaks first: `notice` when given (and not blank), else the standard one. `echo`
        (relay.ECHO_MODES) says how the page's replies are kept out of its captions."""
        words = notice.strip() if notice and notice.strip() else DEFAULT_DISCLOSURE
        session = self._session(voice, title, words if disclosure else "", echo=echo)
        with self._lock:
            self._open[session.id] = session
        return session

    def transcript(self, conversation_id: int) -> Transcript:
        """The stored conversation with its lines (an unknown id raises TranscriptError)."""
        return self.store.get(self._known(conversation_id))

    def open(self, conversation_id: int, voice: Synthesizer | None) -> ConversationSession:
        """The open session of a conversation, reopening a stored one (an unknown id
        raises TranscriptError)."""
        self._known(conversation_id)
        with self._lock:
            session = self._open.get(conversation_id)
            if session is None:
                duration_s = self.store.conversation(conversation_id).duration_s
                session = self._open[conversation_id] = self._session(
                    voice, conversation_id=conversation_id, at_s=duration_s + 1.0
                )
        return session

    def _known(self, conversation_id: int) -> int:
        """The id, or a TranscriptError worded for HTTP clients when there is no such
        conversation (the store's own message points at the command line)."""
        if is_row_id(conversation_id):
            try:
                self.store.conversation(conversation_id)
                return conversation_id
            except TranscriptError:
                pass
        raise TranscriptError(
            f"no conversation with id {conversation_id} (GET /api/conversations lists them)"
        )

    def forget(self, conversation_id: int) -> Conversation:
        """Closes a conversation and deletes it with its lines."""
        self._known(conversation_id)
        with self._lock:
            self._open.pop(conversation_id, None)
        return self.store.delete(conversation_id)
