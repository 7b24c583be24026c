"""Sound alerts in the server: a detector on every caption WebSocket's audio, and a hub that hands
its alerts to subscribers (the Server-Sent Events route in openhear.server.routes_alerts).

The detector listens without touching the caption session: `CaptionAudioTap` is an ASGI
middleware that sees the messages the caption WebSocket receives (the start message's rate, then
16-bit PCM) and passes copies to an `AlertStream`. Each stream runs its own SoundAlertDetector
(and YAMNet interpreter) on a thread of its own behind a bounded queue, so alerts never wait for
Whisper, captions never wait for alerts, and nothing the tap sees can break the session: the
caption session alone validates the protocol and answers bad input.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator

import numpy as np
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openhear.alerts.events import Alert
from openhear.alerts.sounds import DEFAULT_SOUNDS
from openhear.audio.block import AudioBlock
from openhear.errors import OpenhearError
from openhear.server.limits import JsonTooDeep, check_json_depth

CAPTIONS_PATH = "/ws/captions"
"""The WebSocket whose audio is tapped."""
HISTORY = 50
"""Recent alerts kept for `GET /api/alerts` and for subscribers that join late."""
MAX_QUEUED_MESSAGES = 1000
"""Audio messages waiting for a stream's detector before new ones are dropped (100 s of the
page's 0.1 s messages)."""
SUBSCRIBER_QUEUE = 100
"""Alerts waiting for one slow subscriber before the oldest are dropped."""

log = logging.getLogger("openhear.server")


class AlertHub:
    """Fans alerts out to subscribers; `publish` may be called from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = []
        self._history: deque[dict] = deque(maxlen=HISTORY)
        self._ids = itertools.count(1)

    def recent(self) -> list[dict]:
        """The last alerts, oldest first."""
        with self._lock:
            return list(self._history)

    def subscribe(self) -> asyncio.Queue:
        """A queue that receives every alert published from now on (call on the event loop)."""
        q: asyncio.Queue = asyncio.Queue(maxsize=SUBSCRIBER_QUEUE)
        with self._lock:
            self._subscribers.append((asyncio.get_running_loop(), q))
        return q

    def unsubscribe(self, q: asyncio.Queue) -> None:
        """Stop delivering to this queue."""
        with self._lock:
            self._subscribers = [(loop, s) for loop, s in self._subscribers if s is not q]

    def publish(self, record: dict) -> None:
        """Number the alert record, keep it, and deliver it to every subscriber."""
        with self._lock:
            record = {"id": next(self._ids), **record}
            self._history.append(record)
            subscribers = list(self._subscribers)
        for loop, q in subscribers:
            loop.call_soon_threadsafe(_offer, q, record)


def _offer(q: asyncio.Queue, record: dict) -> None:
    if q.full():  # a subscriber that stopped reading loses its oldest alerts, never the newest
        q.get_nowait()
    q.put_nowait(record)


class AlertStream:
    """The sound-alert detector for one caption session's audio, on its own thread.

    `observe` takes the WebSocket's received messages (never blocks, never raises); `close` ends
    the stream (the thread flushes the detector and exits)."""

    def __init__(self, hub: AlertHub, session: int, sounds: tuple[str, ...] = DEFAULT_SOUNDS):
        self._hub = hub
        self._session = session
        self._sounds = sounds
        self._rate = 0
        self._queue: queue.Queue[np.ndarray | str] = queue.Queue(maxsize=MAX_QUEUED_MESSAGES)
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()
        self.dropped = 0
        """Audio messages dropped because the detector fell behind."""

    def observe(self, message: Message) -> None:
        """Look at one received ASGI WebSocket message."""
        try:
            if message.get("type") != "websocket.receive":
                return
            if message.get("bytes") is not None:
                data = message["bytes"]
                if self._rate and len(data) % 2 == 0:
                    self._put(np.frombuffer(data, "<i2").astype(np.float32) / 32768.0)
            elif message.get("text") is not None:
                check_json_depth(message["text"])  # before parsing: deep JSON exhausts the stack
                self._control(json.loads(message["text"]))
        except (ValueError, TypeError, AttributeError, JsonTooDeep, RecursionError):
            pass  # not ours to judge: the caption session refuses bad input itself

    def _control(self, msg: dict) -> None:
        kind = msg.get("type")
        if kind == "start" and not self._rate:
            rate = msg.get("sample_rate")
            if isinstance(rate, int) and 8000 <= rate <= 192000:
                self._rate = rate
                self._thread = threading.Thread(
                    target=self._run, name="openhear-alerts", daemon=True
                )
                self._thread.start()
        elif kind in ("flush", "stop") and self._rate:
            self._put(kind)

    def _put(self, item: np.ndarray | str) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1

    def close(self) -> None:
        """End of the session: the thread flushes and stops (the caller never waits for it)."""
        self._closed.set()

    def _items(self) -> Iterator[np.ndarray | str]:
        """Queued audio and flush marks until the session is closed and the queue is empty."""
        while True:
            try:
                yield self._queue.get(timeout=0.2)
            except queue.Empty:
                if self._closed.is_set():
                    return

    def _run(self) -> None:
        from openhear.alerts.detector import SoundAlertDetector

        try:
            detector = SoundAlertDetector(sounds=self._sounds)
        except OpenhearError as exc:
            log.warning("sound alerts are off for this session: %s", exc)
            return
        received = 0
        for item in self._items():
            try:
                if isinstance(item, str):
                    self._publish(detector.flush())
                    continue
                block = AudioBlock.from_mono(item, self._rate, received / self._rate)
                received += item.size
                self._publish(detector.feed(block))
            except OpenhearError as exc:
                log.warning("sound alerts stopped for this session: %s", exc)
                detector.reset()
        self._publish(detector.flush())

    def _publish(self, alerts: Iterable[Alert]) -> None:
        for alert in alerts:
            self._hub.publish(
                {
                    "type": "alert",
                    **alert.to_dict(),
                    "session": self._session,
                    "wall_time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                }
            )


class CaptionAudioTap:
    """ASGI middleware: every caption WebSocket's received messages also go to an AlertStream."""

    def __init__(self, app: ASGIApp, hub: AlertHub, path: str = CAPTIONS_PATH) -> None:
        self.app = app
        self.hub = hub
        self.path = path
        self._sessions = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or scope.get("path") != self.path:
            return await self.app(scope, receive, send)
        stream = AlertStream(self.hub, next(self._sessions))

        async def tapped() -> Message:
            message = await receive()
            stream.observe(message)
            return message

        try:
            await self.app(scope, tapped, send)
        finally:
            stream.close()
