"""Sound alerts in the server: a detector on every caption WebSocket's audio (and on the page's
alerts-only socket), and a hub that keeps the alerts and hands them to subscribers (the
Server-Sent Events route in openhear.server.routes_alerts) and to a webhook.

The detector listens without touching the caption session: `CaptionAudioTap` is an ASGI
middleware that sees the messages the caption WebSocket receives (the start message's rate, then
16-bit PCM) and passes copies to an `AlertStream`. Each stream runs its own SoundAlertDetector
(and YAMNet interpreter) on a thread of its own behind a bounded queue, so alerts never wait for
Whisper, captions never wait for alerts, and nothing the tap sees can break the session: the
caption session alone validates the protocol and answers bad input.

A caption session whose start message lists the person's name and words to watch for also runs a
`NameWatch` on its captions: the `name` alert goes through the same hub.

The hub keeps the last HISTORY alerts, with who acknowledged them when, in ALERTS_FILE in the data
directory, so the page's history and an alarm not yet acknowledged survive a reload and a restart.
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
from pathlib import Path

import numpy as np
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openhear.alerts.events import Alert, alert_record
from openhear.alerts.sounds import DEFAULT_SOUNDS
from openhear.alerts.webhook import Webhook
from openhear.alerts.words import WordSpotter
from openhear.asr.events import CaptionEvent
from openhear.audio.block import AudioBlock
from openhear.errors import OpenhearError
from openhear.paths import private_dir, write_private_text
from openhear.server.limits import JsonTooDeep, check_json_depth

CAPTIONS_PATH = "/ws/captions"
"""The WebSocket whose audio is tapped."""
HISTORY = 200
"""Recent alerts kept (and stored) for `GET /api/alerts` and the page's history list."""
ALERTS_FILE = "alerts.json"
"""The stored history, in the data directory."""
SAME_ALERT_S = 10.0
"""An alert for the sound another session raised this recently is the same sound heard twice (the
page's alerts socket and a caption session on one microphone, two phones in one room): dropped."""
MAX_QUEUED_MESSAGES = 1000
"""Audio messages waiting for a stream's detector before new ones are dropped (100 s of the
page's 0.1 s messages)."""
SUBSCRIBER_QUEUE = 100
"""Alerts waiting for one slow subscriber before the oldest are dropped."""
SESSION_SCOPE_KEY = "openhear.alert_session"
"""Where the tap leaves a tapped socket's session number in its ASGI scope, so the caption
session's name alerts carry the same `session` as the sound alerts of the same audio."""

log = logging.getLogger("openhear.server")


def alert_hub(conn: HTTPConnection) -> AlertHub:
    """The app's hub (set up by create_app)."""
    hub: AlertHub = conn.app.state.openhear_alerts
    return hub


def alert_session(conn: HTTPConnection) -> int:
    """The `session` number of this socket's alerts: the tap's, else a new one."""
    session = conn.scope.get(SESSION_SCOPE_KEY)
    return session if isinstance(session, int) else alert_hub(conn).new_session()


class AlertHub:
    """Keeps alerts and fans them out to subscribers; `publish` may be called from any thread.

    `path`: where the history is stored (None: in memory only). `webhook`: also POST each alert.
    Subscribers get alert records ({"type": "alert", "id", ...}) and acknowledgements
    ({"type": "acknowledged", "id", "acknowledged_at"})."""

    def __init__(self, path: Path | None = None, webhook: Webhook | None = None) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = []
        self._path = path
        self._history: deque[dict] = deque(self._load(), maxlen=HISTORY)
        self._ids = itertools.count(max((r["id"] for r in self._history), default=0) + 1)
        self._sessions = itertools.count(1)
        self._last_raised: dict[str, tuple[int | None, float]] = {}
        self.webhook = webhook
        """Where every alert is also POSTed (None: nowhere)."""
        self.listeners = 0
        """Alerts-only sockets open now (changed on the event loop only)."""

    def _load(self) -> list[dict]:
        if self._path is None or not self._path.exists():
            return []
        try:
            stored = json.loads(self._path.read_text(encoding="utf-8"))["alerts"]
            return [r for r in stored if isinstance(r, dict) and isinstance(r.get("id"), int)]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("alert history %s unreadable (%s): starting afresh", self._path, exc)
            return []

    def _save(self) -> None:
        """Store the history (called with the lock held); a failure is logged, never raised."""
        if self._path is None:
            return
        try:
            private_dir(self._path.parent)
            write_private_text(self._path, json.dumps({"alerts": list(self._history)}))
        except OSError as exc:
            log.warning("the alert history cannot be stored in %s (%s)", self._path, exc)

    def new_session(self) -> int:
        """A number for a new audio stream (alerts carry it as `session`)."""
        return next(self._sessions)

    def recent(self) -> list[dict]:
        """The last alerts, oldest first."""
        with self._lock:
            return [dict(r) for r in self._history]

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

    def publish(self, record: dict) -> dict | None:
        """Number the alert record, keep it, and deliver it to every subscriber and the webhook;
        the numbered record, or None for the same sound raised by another session just before."""
        now = time.monotonic()
        session = record.get("session")
        with self._lock:
            last = self._last_raised.get(record["sound"])
            if last is not None and last[0] != session and now - last[1] < SAME_ALERT_S:
                return None
            self._last_raised[record["sound"]] = (session, now)
            record = {"id": next(self._ids), **record, "acknowledged_at": None}
            self._history.append(record)
            self._save()
        self._deliver(dict(record))
        if self.webhook is not None:
            self.webhook.send(record)
        return dict(record)

    def acknowledge(self, alert_id: int) -> dict | None:
        """Mark an alert acknowledged (the page stops showing it); the acknowledgement event, or
        None if there is no such alert. Acknowledging twice keeps the first time."""
        with self._lock:
            record = next((r for r in self._history if r["id"] == alert_id), None)
            if record is None:
                return None
            if record.get("acknowledged_at") is None:
                record["acknowledged_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
                self._save()
            event = {
                "type": "acknowledged",
                "id": alert_id,
                "acknowledged_at": record["acknowledged_at"],
            }
        self._deliver(event)
        return event

    def _deliver(self, event: dict) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for loop, q in subscribers:
            try:
                loop.call_soon_threadsafe(_offer, q, event)
            except RuntimeError:  # that subscriber's event loop has closed
                pass


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
            self._hub.publish(alert_record(alert, session=self._session))


class NameWatch:
    """The person's name and listed words in one caption session's captions (provisional, final
    and revised), raised through the hub as `name` alerts: the WordSpotter of `openhear alerts
    --name`, so the same matching, priority (urgent) and repeat gap. `check` runs where the
    captioner runs (a worker thread); `publish` is thread-safe."""

    def __init__(self, hub: AlertHub, session: int, words: Iterable[str]) -> None:
        self._hub = hub
        self._session = session
        self.spotter = WordSpotter(words)
        """Matches the words (empty `phrases`: nothing to watch for)."""

    def check(self, captions: Iterable[CaptionEvent]) -> None:
        """Raise an alert for each new mention in these captions."""
        for caption in captions:
            for alert in self.spotter.update(caption):
                self._hub.publish(alert_record(alert, session=self._session))


class CaptionAudioTap:
    """ASGI middleware: every caption WebSocket's received messages also go to an AlertStream."""

    def __init__(self, app: ASGIApp, hub: AlertHub, path: str = CAPTIONS_PATH) -> None:
        self.app = app
        self.hub = hub
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or scope.get("path") != self.path:
            return await self.app(scope, receive, send)
        session = scope[SESSION_SCOPE_KEY] = self.hub.new_session()
        stream = AlertStream(self.hub, session)

        async def tapped() -> Message:
            message = await receive()
            stream.observe(message)
            return message

        try:
            await self.app(scope, tapped, send)
        finally:
            stream.close()
