"""The page's Calls view: one call at a time, run on the server with the library `openhear call`
and `openhear converse --system` use.

- A SIP call: the `calls.phone.Phone` (pjsua2, the optional calls extra) dials, or waits for a
  call the user answers; once connected a `calls.relay.CallRelay` captions their voice with the
  server's Whisper and speaks typed replies (or presses keys) into the call with its Piper voice.
- A call in any app ("system"): what this computer plays (`audio.system.SystemAudio`) is
  captioned, and replies are spoken into the virtual microphone the call app takes.

Either way everything said is one conversation in the server's transcript store, stored as it
happens, and the page reads what happens (state changes, provisional captions, stored lines,
revisions of stored lines, notes) as numbered events with `events(after=N)`, a long poll. A
'them' line carries its utterance number; a revision (the caption revision pass, as on the caption
WebSocket: `caption_session.event_json`) names it and gives the text that replaces all its lines,
as the stored transcript now holds it. The call runs on a thread of its
own; routes only start it, type into it and end it.
"""

from __future__ import annotations

import importlib.util
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openhear.asr.events import ProvisionalCaption
from openhear.asr.screening import ProfanityMask
from openhear.calls import ANSWER_TIMEOUT_S, DIAL_TIMEOUT_S, INSTALL_HINT, CallError
from openhear.errors import OpenhearError
from openhear.relay.session import (
    DEFAULT_DISCLOSURE,
    ConversationSession,
    RelayEvent,
    RelayOptions,
    RevisedEntry,
)
from openhear.relay.store import Entry, TranscriptStore
from openhear.server.caption_session import event_json
from openhear.server.services import Services

if TYPE_CHECKING:
    from openhear.asr.streaming import StreamingCaptioner
    from openhear.asr.whisper import WhisperTranscriber
    from openhear.calls.leg import CallLeg
    from openhear.calls.phone import Phone

MAX_EVENTS = 2000
"""Events kept for a page that polls late (older ones are dropped; the transcript keeps all)."""
MAX_WAIT_S = 20.0
"""Longest a poll for events may wait for one."""
INCOMING_POLL_S = 0.5
"""How often the waiting phone checks whether it should stop."""
SIP_PORT = 5060
"""The SIP port calls are awaited on, by default."""

IDLE, WAITING, CALLING, RINGING, CONNECTED, ON_HOLD, ENDED = (
    "idle",
    "waiting",
    "calling",
    "ringing",
    "connected",
    "on hold",
    "ended",
)
"""States of the desk, as the page shows them (on hold: the other side has put the call on hold;
ended: the last call is over; a new one may start)."""


class CallBusy(CallError):
    """A call is already in progress (the desk takes one at a time)."""


@dataclass(frozen=True)
class CallRequest:
    """What the page asks for when it starts a call."""

    disclosure: bool = True
    """Speak the notice that replies are typed and spoken by a computer voice when it connects."""
    notice: str = ""
    """The notice's own words; '' for the standard one."""
    title: str = ""
    """The conversation's title; '' for one saying whom the call was with."""
    profanity_mask: ProfanityMask = "provisional"
    """Where the other person's captions mask profanity (the page's setting;
    openhear.asr.screening)."""
    language: str | None = None
    """The language the other person speaks (the page's setting: a code, or "auto"); None: the
    server's --language."""

    def captioner(self, transcriber: WhisperTranscriber) -> StreamingCaptioner:
        """The live captioner of the other person's speech."""
        from dataclasses import replace

        from openhear.asr.streaming import LIVE_OPTIONS, StreamingCaptioner

        options = replace(LIVE_OPTIONS, profanity_mask=self.profanity_mask)
        if self.language is not None:
            transcriber = transcriber.configured(self.language)
        return StreamingCaptioner(transcriber, options)

    def options(self, default_title: str) -> RelayOptions:
        words = self.notice.strip() or DEFAULT_DISCLOSURE
        return RelayOptions(
            disclosure=words if self.disclosure else "",
            suppress_echo=False,  # a call never plays our own voice back into what is captioned
            title=self.title.strip() or default_title,
        )


def sip_available() -> bool:
    """Whether pjsua2 (the calls extra) is installed."""
    return importlib.util.find_spec("pjsua2") is not None


class CallDesk:
    """The server's call; thread-safe (routes call it from worker threads)."""

    def __init__(self, services: Services, store: TranscriptStore):
        self._services = services
        self._store = store
        self._lock = threading.Condition()
        self._events: deque[dict] = deque(maxlen=MAX_EVENTS)
        self._seq = 0
        self._state = IDLE
        self._mode = ""
        self._remote = ""
        self._codec = ""
        self._conversation_id: int | None = None
        self._phone: Phone | None = None
        self._leg: CallLeg | None = None
        self._type: Callable[[str], None] | None = None
        self._stop: Callable[[], None] | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- what the page reads --

    def snapshot(self, after: int = 0, wait_s: float = 0.0) -> dict[str, Any]:
        """The call's state and the events numbered above `after` (waiting up to `wait_s` for
        one when there is none yet)."""
        with self._lock:
            self._lock.wait_for(lambda: self._seq > after, min(max(wait_s, 0.0), MAX_WAIT_S))
            events = [e for e in self._events if e["seq"] > after]
            return {
                "state": self._state,
                "mode": self._mode,
                "remote": self._remote,
                "codec": self._codec,
                "conversation_id": self._conversation_id,
                "sip": {
                    "available": sip_available(),
                    "install": INSTALL_HINT,
                    "port": self._phone.local_port if self._phone is not None else None,
                },
                "events": events,
                "next": self._seq,
            }

    def _emit(self, kind: str, **fields: Any) -> None:
        with self._lock:
            self._seq += 1
            self._events.append({"seq": self._seq, "type": kind, **fields})
            self._lock.notify_all()

    def _set_state(self, state: str, text: str, **fields: Any) -> None:
        with self._lock:
            self._state = state
            for name, value in fields.items():
                setattr(self, f"_{name}", value)
        self._emit("state", state=state, text=text)

    def report(self, event: RelayEvent, session: ConversationSession) -> None:
        """Show one of the call's events on the page: a provisional caption, a stored line (a
        'them' line with the utterance number `session`'s captioner gave it), or a revision of
        stored lines."""
        if isinstance(event, ProvisionalCaption):
            self._emit("provisional", text=event.text)
        elif isinstance(event, RevisedEntry):
            fields = event_json(event)
            self._emit(fields.pop("type"), **fields)
        elif isinstance(event, Entry):
            utterance = session.utterance(event.id) if event.speaker == "them" else 0
            self._emit(
                "line",
                speaker=event.speaker,
                text=event.text,
                start_s=event.start_s,
                utterance=utterance,
            )

    def _note(self, text: str) -> None:
        self._emit("note", text=text)

    # -- what the page does --

    def dial(self, target: str, request: CallRequest, use_account: bool = True) -> None:
        """Call a SIP address (or a number through the saved account)."""
        from openhear.calls.address import call_target, over_tls
        from openhear.calls.phone import PhoneOptions

        self._require_models(request)
        account = self._account() if use_account else None
        uri = call_target(target, account.uri if account else None)
        with self._claim("sip"):
            phone = self._start_phone(PhoneOptions(account=account, tls=over_tls(uri)))
            try:
                leg = phone.dial(uri)
            except CallError:
                self._close_phone()
                raise
            self._leg = leg
            self._set_state(CALLING, f"Calling {uri}…", remote=uri, codec="")
        self._run(lambda: self._carry(leg, DIAL_TIMEOUT_S, request))

    def wait_for_calls(self, request: CallRequest, port: int = SIP_PORT) -> int:
        """Listen for an incoming SIP call on `port` (0: any free port); the port listened on.
        The call rings in the page until `answer` (or `hang_up`, which declines it)."""
        from openhear.calls.phone import PhoneOptions

        self._require_models(request)
        with self._claim("sip"):
            phone = self._start_phone(PhoneOptions(port=port, account=self._account(), answer=True))
            self._set_state(
                WAITING, f"Waiting for a call on SIP port {phone.local_port}.", remote="", codec=""
            )
        self._run(lambda: self._await_call(phone, request))
        return phone.local_port

    def answer(self) -> None:
        """Answer the call that rings."""
        with self._lock:
            leg = self._leg
            if self._state != RINGING or leg is None or not leg.incoming:
                raise CallError("no call is ringing")
        leg.answer()

    def system(self, request: CallRequest, sink: str | None = None) -> None:
        """Caption what this computer plays (a call in any app) and speak replies into the
        virtual microphone; a SystemAudioError when there is no PulseAudio or PipeWire."""
        from openhear.audio.system import SystemAudio, VirtualMicrophone

        voice = self._require_models(request)
        with self._claim("system"):
            source = SystemAudio(sink)
            microphone = VirtualMicrophone(voice.sample_rate)
            self._set_state(
                CONNECTED,
                "Captioning what this computer plays; replies go to the microphone "
                "“openhear microphone”: choose it in your call app.",
                remote="",
                codec="",
            )
        self._run(lambda: self._carry_system(source, microphone, request), on_stop=source.stop)

    def type(self, text: str) -> None:
        """A typed line for the call: a reply to speak, or keys (0-9, *, #) to press."""
        with self._lock:
            send = self._type
        if send is None:
            raise CallError("no call is connected")
        send(text)

    def hang_up(self) -> None:
        """End the call (declining one that rings, or stop waiting for one)."""
        with self._lock:
            stop = self._stop
        if stop is None:
            raise CallError("no call to hang up")
        stop()

    def close(self) -> None:
        """Hang up whatever is in progress and wait for it to end (the server stops)."""
        with self._lock:
            stop, thread = self._stop, self._thread
        if stop is not None:
            stop()
        if thread is not None:
            thread.join()

    # -- running a call --

    def _require_models(self, request: CallRequest) -> Any:
        """The voice (captions and speech are both needed), or a ModelError; a UsageError for a
        language the captions' model does not hear, before the call starts."""
        transcriber = self._services.require(
            "captions", self._services.transcribers[0] if self._services.transcribers else None
        )
        if request.language is not None:
            transcriber.language_code(request.language)
        return self._services.require("speech", self._services.voice)

    def _account(self) -> Any:
        from openhear.calls.account import ACCOUNT_FILE, PASSWORD_ENV, load_account

        account = load_account(self._services.data_dir / ACCOUNT_FILE)
        if account is not None and not account.password:
            raise CallError(
                f"no password for {account.uri}: set {PASSWORD_ENV} or run `openhear call --setup`"
            )
        return account

    @contextmanager
    def _claim(self, mode: str) -> Iterator[None]:
        """Starting a call: refused while one is in progress; on failure the desk is idle."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise CallBusy("a call is already in progress: hang up first")
            self._thread = None
            self._mode = mode
            self._conversation_id = None
        try:
            yield
        except BaseException:
            self._close_phone()
            with self._lock:
                self._state, self._mode = IDLE, ""
            raise

    def _start_phone(self, options: Any) -> Phone:
        from openhear.calls.phone import Phone

        phone = Phone(options)
        phone.start()
        self._phone = phone
        return phone

    def _close_phone(self) -> None:
        phone, self._phone = self._phone, None
        if phone is not None:
            phone.close()

    def _run(self, body: Callable[[], None], on_stop: Callable[[], None] | None = None) -> None:
        """Run the call's `body` on its own thread; hanging up sets `_stopping`, hangs up the leg
        (if any) and calls `on_stop`."""
        stopping = threading.Event()

        def run() -> None:
            try:
                body()
            except Exception as exc:  # one line for the page, never a traceback
                why = str(exc) if isinstance(exc, OpenhearError) else f"{type(exc).__name__}"
                self._set_state(ENDED, f"The call failed: {why}")
            finally:
                self._close_phone()
                with self._lock:
                    self._type = self._stop = None
                    self._leg = None

        with self._lock:
            self._stop = lambda: self._stop_call(stopping, on_stop)
            self._stopping = stopping
            self._thread = threading.Thread(target=run, name="openhear-call", daemon=True)
            self._thread.start()

    def _stop_call(self, stopping: threading.Event, on_stop: Callable[[], None] | None) -> None:
        stopping.set()
        with self._lock:
            leg = self._leg
        if leg is not None:
            leg.hangup()
        if on_stop is not None:
            on_stop()

    def _await_call(self, phone: Phone, request: CallRequest) -> None:
        leg = None
        while leg is None:
            if self._stopping.is_set():
                self._set_state(IDLE, "Stopped waiting for calls.")
                return
            leg = phone.next_incoming(INCOMING_POLL_S)
        with self._lock:
            self._leg = leg
        self._set_state(RINGING, f"Incoming call from {leg.remote_uri}.", remote=leg.remote_uri)
        self._emit("incoming", remote=leg.remote_uri)
        self._carry(leg, None, request)

    def _carry(self, leg: CallLeg, timeout_s: float | None, request: CallRequest) -> None:
        """Wait until the call connects (an incoming one: until answered), then relay it."""
        from openhear.calls.leg import CallState, wait_connected
        from openhear.calls.relay import CallRelay

        if leg.incoming:  # rings until the user answers or declines, or the caller gives up
            leg.wait(CallState.CONNECTED, CallState.HELD, timeout_s=None)
            if leg.status.state is CallState.ENDED:
                who = "declined" if leg.status.hung_up_by_us else "the caller hung up"
                self._set_state(ENDED, f"Missed call from {leg.remote_uri} ({who}).")
                return
        status = wait_connected(
            leg,
            timeout_s or ANSWER_TIMEOUT_S,
            on_ringing=lambda: self._set_state(RINGING, f"{leg.remote_uri} is ringing…"),
        )
        with self._services.transcriber() as transcriber:
            relay = CallRelay(
                leg,
                self._store,
                request.captioner(transcriber),
                self._services.voice,  # type: ignore[arg-type]  # _require_models checked it
                request.options(f"call: {leg.remote_uri}"),
                # events come from start() and run(), once `relay` is set
                on_event=lambda event: self.report(event, relay.session),
                on_note=self._note,
            )
            with self._lock:
                self._conversation_id = relay.session.id
                self._type = relay.type
            self._set_state(
                CONNECTED,
                f"Connected to {leg.remote_uri} ({status.codec_text()}).",
                codec=status.codec_text(),
            )
            leg.on_hold(lambda held: self._hold(leg, held))
            relay.start()
            try:
                relay.run()
            finally:
                relay.close()
        who = "you" if leg.status.hung_up_by_us else "they"
        self._set_state(
            ENDED, f"Call ended ({who} hung up). Conversation {relay.session.id} is saved."
        )

    def _hold(self, leg: CallLeg, held: bool) -> None:
        """The other side put the call on hold, or took it back (on the phone's thread)."""
        if held:
            self._set_state(ON_HOLD, f"On hold: {leg.remote_uri} has put the call on hold.")
        else:
            self._set_state(CONNECTED, "Call resumed: you are connected again.")

    def _carry_system(self, source: Any, microphone: Any, request: CallRequest) -> None:
        from openhear.relay.replies import ReplyPlayer
        from openhear.relay.session import ConversationSession
        from openhear.tts.text import TextError

        player = ReplyPlayer(microphone, on_error=lambda e: self._note(f"reply not spoken: {e}"))
        try:
            with self._services.transcriber() as transcriber:
                session = ConversationSession(
                    self._store,
                    request.captioner(transcriber),
                    self._services.voice,
                    request.options("call in another app"),
                    source.elapsed_s,
                )

                def report(event: RelayEvent) -> None:
                    self.report(event, session)

                def say(text: str) -> None:
                    try:
                        reply = session.say(text)
                    except TextError as exc:
                        self._note(f"reply skipped: {exc}")
                        return
                    report(reply.entry)
                    player.speak(reply)

                with self._lock:
                    self._conversation_id = session.id
                    self._type = say
                blocks: Iterator[Any] = source.blocks()
                first = next(blocks, None)  # the recorder is open: the clock runs
                if request.disclosure:
                    notice = session.start()
                    if notice is not None:
                        report(notice.entry)
                        player.speak(notice)
                try:
                    if first is not None:
                        for event in session.hear(first):
                            report(event)
                    for block in blocks:
                        for event in session.hear(block):
                            report(event)
                finally:
                    for event in list(session.close()):
                        report(event)
        finally:
            player.close()
        self._set_state(ENDED, f"Stopped. Conversation {session.id} is saved.")
