"""A connected call's conversation: the relay session run on the call's audio.

Their voice goes from the call's leg to the session's captioner (the same streaming captioner as
`converse --live`), final captions are stored as they come; a typed line is either a reply, stored
and spoken into the call by the voice, or key presses (DTMF). The disclosure notice is spoken
when the call connects. When the call ends (either side hangs up) what the captioner still holds
is committed, so the transcript keeps everything heard, even a sentence cut off mid-way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from openhear.asr.streaming import StreamingCaptioner
from openhear.calls import CallError
from openhear.calls.address import dtmf_keys
from openhear.calls.leg import CallLeg, CallSink, CallState
from openhear.relay.replies import ReplyPlayer, TypedReply
from openhear.relay.session import ConversationSession, RelayEvent, RelayOptions
from openhear.relay.store import TranscriptStore
from openhear.tts.speech import Synthesizer
from openhear.tts.text import TextError


class CallRelay:
    """One call's conversation: `start` when the call connects, `type` lines from any thread,
    `run` on one thread until the call ends, then `close`.

    `on_event` gets every provisional caption and every stored line (caption, reply) as it
    happens; `on_note` gets one-line notes about the call itself (keys pressed, a reply that could
    not be spoken)."""

    def __init__(
        self,
        leg: CallLeg,
        store: TranscriptStore,
        captioner: StreamingCaptioner,
        voice: Synthesizer,
        options: RelayOptions,
        on_event: Callable[[RelayEvent], None],
        on_note: Callable[[str], None],
    ):
        self.leg = leg
        self._on_event = on_event
        self._on_note = on_note
        # A call carries only their voice back: ours never reaches the captioner, so no echo gate.
        self.session = ConversationSession(
            store, captioner, voice, replace(options, suppress_echo=False), leg.elapsed_s
        )
        self._player = ReplyPlayer(
            CallSink(leg), on_error=lambda exc: on_note(f"a reply was not spoken: {exc}")
        )
        self.hang_up_requested = False
        """Set it (any thread, or a signal handler) to hang up: `run` does so at its next block."""

    def start(self) -> None:
        """Speak the disclosure notice (if any) into the call."""
        reply = self.session.start()
        if reply is not None:
            self._on_event(reply.entry)
            self._player.speak(reply)

    def type(self, text: str) -> None:
        """A typed line: keys (0-9, *, #) are pressed on the call; any other text is stored and
        spoken. Problems are notes, never errors: the call goes on."""
        keys = dtmf_keys(text)
        if keys is not None:
            try:
                self.leg.send_dtmf(keys)
            except CallError as exc:
                self._on_note(f"keys not pressed: {exc}")
                return
            self._on_note(f"pressed {keys}")
            return
        try:
            reply = self.session.say(text)
        except TextError as exc:
            self._on_note(f"reply skipped: {exc}")
            return
        self._on_event(reply.entry)
        self._player.speak(reply)

    def run(
        self,
        due: Callable[[float], Iterable[TypedReply]] | None = None,
        duration_s: float | None = None,
    ) -> None:
        """Caption their voice until the call ends. `due(now_s)` gives the scripted replies whose
        time has come; after `duration_s` of call, or once `hang_up_requested` is set, we hang up.
        A KeyboardInterrupt hangs up too. What was heard until the end is still captioned."""
        try:
            self._caption(due, duration_s)
        except KeyboardInterrupt:
            self.leg.hangup()
            self._caption(None, None)

    def _caption(
        self, due: Callable[[float], Iterable[TypedReply]] | None, duration_s: float | None
    ) -> None:
        for block in self.leg.blocks():
            now_s = self.session.now_s()
            if due is not None:
                for reply in due(now_s):
                    self.type(reply.text)
            if self.hang_up_requested or (duration_s is not None and now_s >= duration_s):
                if self.leg.status.state in (CallState.CONNECTED, CallState.HELD):
                    self.leg.hangup()
            for event in self.session.hear(block):
                self._on_event(event)

    def close(self) -> None:
        """Commit what the captioner holds (stored before it is shown), then let queued speech
        finish (nothing more once the call has ended)."""
        for event in list(self.session.close()):
            self._on_event(event)
        self._player.close()
