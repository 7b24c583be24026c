"""One live caption session over a WebSocket: start message, 16-bit PCM in, caption events out.

Protocol (client -> server):
  1. text  {"type": "start", "sample_rate": 48000, "conversation_id": 3, "language": "fr",
            "profanity_mask": "off"}
     (conversation_id optional; language optional: a code, or "auto" for a multilingual model to
     identify it in each utterance; default: the server's --language; profanity_mask optional,
     "off" | "provisional" | "all"; alert_words optional: ["Ada", "mum"], the person's name and
     words whose mention in a caption raises the `name` sound alert, openhear.server.alerts;
     echo_cancelled optional, with conversation_id: true when the browser applies its own echo
     cancellation to the microphone, so the server's canceller need not wait to find that the
     replies are not heard back, openhear.relay.echo)
  2. binary frames of mono 16-bit little-endian PCM at that rate, any length up to the message limit
  3. text  {"type": "flush"} to finalise what was heard so far (pause), {"type": "stop"} to end.
Server -> client: {"type": "ready"}, {"type": "provisional", "text", "start_s", "end_s",
"language"}, {"type": "final", "text", "start_s", "end_s", "utterance", "language"} (language:
the code it was heard in, when known; seconds of audio received in this session; with a
conversation_id, seconds of that conversation), {"type": "revision", "utterance", "text",
"start_s", "end_s", "replaced"}: the revision pass's text for that utterance, which replaces the
text of every final (and earlier revision) with the same utterance number,
{"type": "end"} after a stop; {"type": "busy", ...} or {"type": "error", "message"} followed by a
close. See docs/CAPTIONS.md.

With a conversation_id the stream is the other person's voice in that conversation: it joins the
relay session (openhear.relay.session.CaptionInput) at the conversation's current time, which
stores each final caption as "them" before it is sent and silences our own replies' echo.

The receive loop only converts bytes to samples and queues them; a decoder task feeds the
captioner one message at a time on a worker thread and sends each message's events at once, so a
slow decode never blocks the socket, events are never held back, and the event loop stays free
for other sessions and the health check.

Bounds: a session that sends nothing for `caption_idle_timeout_s` is ended (1008), and one with
more than `max_queued_audio_s` of audio waiting to be captioned is ended as "too far behind"
(1013, try again later) rather than queue without limit.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Annotated, Literal, TypeVar

import numpy as np
from pydantic import ConfigDict, Field, ValidationError
from starlette.status import (
    WS_1000_NORMAL_CLOSURE,
    WS_1003_UNSUPPORTED_DATA,
    WS_1008_POLICY_VIOLATION,
    WS_1009_MESSAGE_TOO_BIG,
    WS_1013_TRY_AGAIN_LATER,
)
from starlette.websockets import WebSocket, WebSocketDisconnect

from openhear.asr.events import CaptionEvent, FinalCaption, RevisedCaption
from openhear.asr.screening import ProfanityMask
from openhear.audio import AudioBlock
from openhear.errors import OpenhearError
from openhear.relay.store import Entry
from openhear.server.alerts import NameWatch, alert_hub, alert_session
from openhear.server.limits import (
    JsonTooDeep,
    RequestModel,
    check_json_depth,
    validation_problem,
)

if TYPE_CHECKING:
    from openhear.asr.streaming import StreamingCaptioner
    from openhear.relay.session import CaptionInput, RelayEvent
    from openhear.server.state import AppState

_T = TypeVar("_T")

MAX_ALERT_WORDS = 20
"""Most names and words one session watches its captions for."""
MAX_ALERT_WORD_CHARS = 100
"""Longest name, word or phrase watched for."""


class CaptionStart(RequestModel):
    """The first message of a caption session."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["start"]
    sample_rate: int = Field(ge=8000, le=192000)
    conversation_id: int | None = None
    echo_cancelled: bool = False
    """The browser applies its own echo cancellation to this microphone (the track's
    echoCancellation setting): in a conversation, the replies are assumed not heard back until
    the server's echo canceller hears them (EchoCanceller.assume_unheard)."""
    language: str | None = Field(default=None, max_length=16)
    profanity_mask: ProfanityMask | None = None
    """Where profanity is masked (openhear.asr.screening); None: the captioner's default."""
    alert_words: list[Annotated[str, Field(max_length=MAX_ALERT_WORD_CHARS)]] = Field(
        default_factory=list, max_length=MAX_ALERT_WORDS
    )
    """The person's name and words to watch for ("Ada", "mum"): a caption that says one raises
    the `name` sound alert (openhear.server.alerts.NameWatch), and the captioner is told them
    as vocabulary, as `openhear alerts --name` does."""


class ProtocolError(Exception):
    """The client broke the protocol: it gets an error event and the connection is closed."""

    def __init__(self, message: str, close_code: int = WS_1008_POLICY_VIOLATION):
        super().__init__(message)
        self.close_code = close_code


@dataclass(frozen=True)
class _Flush:
    stop: bool
    """True when the client ended the session (flush, then close)."""


def event_json(event: CaptionEvent | RelayEvent, utterance: int = 0) -> dict:
    """A caption event (or a stored or revised 'them' entry, whose `utterance` is given) as the
    JSON the page reads."""
    from openhear.relay.session import RevisedEntry

    if isinstance(event, RevisedEntry):
        revised = event.entry
        return {
            "type": "revision",
            "utterance": event.utterance,
            "text": revised.text,
            "start_s": round(revised.start_s, 3),
            "end_s": round(revised.end_s, 3),
            "replaced": event.replaced,
        }
    out: dict = {
        "type": "provisional",
        "text": event.text,
        "start_s": round(event.start_s, 3),
        "end_s": round(event.end_s, 3),
    }
    if isinstance(event, (FinalCaption, Entry)):
        out.update(type="final", utterance=getattr(event, "utterance", utterance))
    elif isinstance(event, RevisedCaption):
        out.update(type="revision", utterance=event.utterance, replaced=event.replaced)
    if not isinstance(event, Entry) and event.language:
        out["language"] = event.language
    return out


def spoken_caption(event: CaptionEvent | RelayEvent) -> CaptionEvent:
    """What a caption or conversation event says, as a caption event (a stored 'them' entry, or
    its revision, as a final caption without word times)."""
    from openhear.relay.session import RevisedEntry

    if isinstance(event, RevisedEntry):
        event = event.entry
    if isinstance(event, Entry):
        return FinalCaption(event.text, event.start_s, event.end_s)
    return event


def pcm16_to_float(data: bytes) -> np.ndarray:
    """Little-endian 16-bit PCM bytes as float32 samples in [-1, 1) (through `audio.guard`)."""
    from openhear.audio.files import pcm_s16le_samples

    return pcm_s16le_samples(data)[:, 0]


BUSY_WINDOW_S = 10.0
"""How far back a session's captioning time is counted for the server's load."""


class CaptionSession:
    """Runs one session's protocol; set `captioner` (a fresh StreamingCaptioner) before `run`."""

    def __init__(self, ws: WebSocket, state: AppState) -> None:
        self.ws = ws
        self.captioner: StreamingCaptioner | None = None
        self.state = state
        self._received = 0
        self._captioned = 0
        self._busy: deque[tuple[float, float]] = (
            deque()
        )  # (finished at, seconds) of recent captioner calls
        self.conversation: CaptionInput | None = (
            None  # the relay CaptionInput when the stream belongs to a conversation
        )
        self.queue: asyncio.Queue[np.ndarray | _Flush] = asyncio.Queue()
        self.sample_rate = 0
        self.name_watch: NameWatch | None = None
        """Watches the captions for the person's name (when the start message lists words)."""

    async def receive_start(self) -> CaptionStart:
        """Waits for and validates the start message."""
        try:
            message = await asyncio.wait_for(self.ws.receive(), self.state.options.start_timeout_s)
        except TimeoutError:
            raise ProtocolError("no start message received in time") from None
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", WS_1000_NORMAL_CLOSURE))
        if message.get("text") is None:
            raise ProtocolError(
                "the first message must be a JSON start message: "
                '{"type": "start", "sample_rate": N}'
            )
        try:
            start = CaptionStart.model_validate_json(message["text"])
        except ValidationError as exc:
            where, what = validation_problem(exc)
            raise ProtocolError(f"bad start message: {where or 'message'}: {what}") from None
        self.sample_rate = start.sample_rate  # the captioner resamples to Whisper's 16 kHz itself
        if start.language is not None and self.captioner is not None:
            from openhear.asr.whisper import WhisperTranscriber

            transcriber = self.captioner.transcriber
            if isinstance(transcriber, WhisperTranscriber):
                try:
                    self.captioner.transcriber = transcriber.configured(start.language)
                except OpenhearError as exc:
                    raise ProtocolError(str(exc)) from None
        if start.profanity_mask is not None:
            captioner = self._own()
            captioner.options = replace(captioner.options, profanity_mask=start.profanity_mask)
        if start.alert_words:
            self._watch_for(start.alert_words)
        if start.conversation_id is not None:
            try:
                session = self.state.conversations.open(
                    start.conversation_id, self.state.services.voice
                )
            except OpenhearError as exc:
                raise ProtocolError(str(exc)) from None
            self.conversation = session.listen(self._own(), echo_removed=start.echo_cancelled)
        return start

    def _watch_for(self, words: list[str]) -> None:
        """Raise the name alert for these words, and caption them more readily."""
        watch = NameWatch(alert_hub(self.ws), alert_session(self.ws), words)
        if not watch.spotter.phrases:
            return
        self.name_watch = watch
        captioner = self._own()
        vocabulary = (*captioner.options.vocabulary, *words)
        captioner.options = replace(captioner.options, vocabulary=vocabulary)

    def _audio(self, data: bytes) -> None:
        if len(data) > self.state.options.max_ws_message_bytes:
            raise ProtocolError(
                f"audio message too large ({len(data)} bytes; limit "
                f"{self.state.options.max_ws_message_bytes})",
                WS_1009_MESSAGE_TOO_BIG,
            )
        if len(data) % 2:
            raise ProtocolError(
                "audio must be 16-bit PCM (an even number of bytes)", WS_1003_UNSUPPORTED_DATA
            )
        limit_s = self.state.options.max_queued_audio_s
        behind_s = self.backlog_s + len(data) / 2 / self.sample_rate
        if behind_s > limit_s:
            raise ProtocolError(
                f"too far behind: {behind_s:.1f} s of audio would be waiting to be captioned "
                f"(limit {limit_s:g} s); send audio at real-time pace, or try again when the "
                "server is less busy",
                WS_1013_TRY_AGAIN_LATER,
            )
        self.queue.put_nowait(pcm16_to_float(data))
        self._received += len(data) // 2

    @property
    def busy_fraction(self) -> float:
        """Share of the last BUSY_WINDOW_S this session spent captioning (about
        one core while busy)."""
        horizon = time.monotonic() - BUSY_WINDOW_S
        return sum(seconds for end, seconds in list(self._busy) if end > horizon) / BUSY_WINDOW_S

    async def _timed(self, call: Callable[[], _T]) -> _T:
        """Runs a captioner call on a worker thread and counts its time
        towards the server's load."""
        started = time.monotonic()
        events = await asyncio.get_running_loop().run_in_executor(self.state.services.workers, call)
        now = time.monotonic()
        self._busy.append((now, now - started))
        while self._busy and self._busy[0][0] < now - BUSY_WINDOW_S:
            self._busy.popleft()
        return events

    @property
    def backlog_s(self) -> float:
        """Audio received but not yet captioned, seconds: how far behind real
        time this session is."""
        return (self._received - self._captioned) / self.sample_rate if self.sample_rate else 0.0

    def _control(self, text: str) -> bool:
        """Handles a text message; returns True when the client asked to stop."""
        if len(text) > self.state.options.max_ws_message_bytes:
            raise ProtocolError("control message too large", WS_1009_MESSAGE_TOO_BIG)
        try:
            check_json_depth(text)
        except JsonTooDeep as exc:
            raise ProtocolError(f"bad control message: {exc}", WS_1003_UNSUPPORTED_DATA) from None
        try:
            kind = json.loads(text).get("type")
        except (ValueError, AttributeError, RecursionError):
            raise ProtocolError(
                "control messages must be JSON objects with a type", WS_1003_UNSUPPORTED_DATA
            ) from None
        if kind not in ("flush", "stop"):
            raise ProtocolError(f"unknown control message type: {kind!r}", WS_1003_UNSUPPORTED_DATA)
        self.queue.put_nowait(_Flush(stop=kind == "stop"))
        return kind == "stop"

    async def run(self) -> None:
        """Receives until the client stops or leaves; raises ProtocolError on bad input."""
        await self.receive_start()
        await self.ws.send_json({"type": "ready"})
        decoder = asyncio.create_task(self._decode_loop())
        idle_s = self.state.options.caption_idle_timeout_s
        try:
            while True:
                receiving = asyncio.ensure_future(self.ws.receive())
                done, _ = await asyncio.wait(
                    {receiving, decoder}, timeout=idle_s, return_when=asyncio.FIRST_COMPLETED
                )
                if not done:
                    receiving.cancel()
                    raise ProtocolError(
                        f"nothing received for {idle_s:g} s: the session was ended to free its "
                        "place (start again to continue)"
                    )
                if decoder in done:  # the decoder failed or finished after a stop
                    receiving.cancel()
                    decoder.result()
                    return
                message = receiving.result()
                if message["type"] == "websocket.disconnect":
                    return
                if message.get("bytes") is not None:
                    self._audio(message["bytes"])
                elif message.get("text") is not None and self._control(message["text"]):
                    await decoder
                    return
        finally:
            decoder.cancel()

    async def _decode_loop(self) -> None:
        """Feeds the captioner message by message on a worker thread and sends
        events as they come."""
        while True:
            item = await self.queue.get()
            if isinstance(item, _Flush):
                await self._send(await self._timed(self._flush))
                if item.stop:
                    return
                continue
            block = AudioBlock.from_mono(item, self.sample_rate, self._captioned / self.sample_rate)
            events = await self._timed(partial(self._feed, block))
            self._captioned += item.size
            await self._send(events)

    def _feed(self, block: AudioBlock) -> list[CaptionEvent | RelayEvent]:
        if self.conversation:
            return self._watched(self.conversation.hear(block))
        return self._watched(self._own().feed(block))

    def _flush(self) -> list[CaptionEvent | RelayEvent]:
        if self.conversation:
            return self._watched(self.conversation.flush())
        return self._watched(self._own().flush())

    def _watched(
        self, events: Iterable[CaptionEvent | RelayEvent]
    ) -> list[CaptionEvent | RelayEvent]:
        """The events, after the name watch (if any) has seen them (on the worker thread, before
        they are sent: the alert is never later than the caption)."""
        listed = list(events)
        if self.name_watch is not None:
            self.name_watch.check(spoken_caption(e) for e in listed)
        return listed

    def _own(self) -> StreamingCaptioner:
        if self.captioner is None:
            raise RuntimeError("CaptionSession.captioner must be set before run()")
        return self.captioner

    async def _send(self, events: Iterable[CaptionEvent | RelayEvent]) -> None:
        for event in events:
            utterance = 0
            if isinstance(event, Entry) and self.conversation is not None:
                utterance = self.conversation.utterance(event.id)
            await self.ws.send_json(event_json(event, utterance))


async def refuse(ws: WebSocket, event: dict, close_code: int) -> None:
    """Sends one last event and closes; the peer may already be gone."""
    try:
        await ws.send_json(event)
        await ws.close(close_code)
    except (WebSocketDisconnect, RuntimeError):
        pass
