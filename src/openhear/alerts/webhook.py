"""A webhook for home automation: each alert POSTed as JSON to a URL the person names.

Nothing is sent anywhere unless `--webhook URL` is given. Home Assistant, Node-RED or a script on
the same network can then flash a lamp or ring a vibrating pillow. Sending never holds up
detection: alerts wait in a bounded queue for one sender thread, which gives each POST a timeout
and retries a failed one a few times with growing pauses (a refused connection, a timeout, or an
answer of 5xx or 429); 4xx answers are not retried, and a full queue drops the oldest alert.

The request goes straight to the named host: no proxy from the environment (HTTP_PROXY would
otherwise route it through another machine) and no redirects (they could send it elsewhere).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from openhear import __version__
from openhear.errors import UsageError

log = logging.getLogger("openhear")


@dataclass(frozen=True)
class WebhookOptions:
    """How alerts are delivered to a webhook."""

    timeout_s: float = 3.0
    """Longest wait for one POST (connecting and the answer), seconds."""
    attempts: int = 3
    """Tries per alert (the first and its retries) before it is given up."""
    retry_pause_s: float = 0.5
    """Pause before the first retry, seconds; it doubles before each further one."""
    max_queued: int = 100
    """Alerts waiting to be sent before the oldest are dropped."""


def check_webhook_url(url: str) -> str:
    """The URL if it is an http:// or https:// address with a host; else a one-line UsageError."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        raise UsageError(f"--webhook {url!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise UsageError(
            f"--webhook must be an http:// or https:// URL (got {parts.scheme or 'no'} scheme)"
        )
    if not parts.hostname:
        raise UsageError(f"--webhook {url!r} names no host")
    if parts.username or parts.password:
        raise UsageError("--webhook must not carry a user name or password (use a webhook id)")
    return url


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 3xx answer is then an HTTPError: reported, not followed


class _Retry(Exception):
    """A failure worth trying again."""


class Webhook:
    """POSTs alert records (JSON objects) to one URL from its own thread.

    `send` never blocks and never raises; `close` waits (at most `wait_s`) for what is queued.
    Counters say what happened: `delivered`, `failed` (given up after the attempts), `dropped`.
    """

    def __init__(self, url: str, options: WebhookOptions | None = None):
        self.url = check_webhook_url(url)
        """Where alerts are POSTed."""
        self.options = options or WebhookOptions()
        """Timeout, retries and queue bound."""
        self.delivered = 0
        self.failed = 0
        self.dropped = 0
        self._queue: queue.Queue[Mapping[str, object] | None] = queue.Queue(
            maxsize=self.options.max_queued
        )
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)
        self._thread = threading.Thread(target=self._run, name="openhear-webhook", daemon=True)
        self._thread.start()

    def send(self, record: Mapping[str, object]) -> None:
        """Queue one alert record for sending (the oldest queued one goes if the queue is full)."""
        while True:
            try:
                self._queue.put_nowait(dict(record))
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass

    def close(self, wait_s: float = 10.0) -> None:
        """Send what is queued, retries included, waiting at most about `wait_s` for it; what is
        still unsent then is abandoned (the thread is a daemon: it ends with the program)."""
        try:
            self._queue.put(None, timeout=wait_s)
        except queue.Full:
            return
        self._thread.join(wait_s)

    def _run(self) -> None:
        while (record := self._queue.get()) is not None:
            self._deliver(record)

    def _deliver(self, record: Mapping[str, object]) -> None:
        body = json.dumps(record).encode()
        pause_s = self.options.retry_pause_s
        for attempt in range(1, self.options.attempts + 1):
            try:
                self._post(body)
                self.delivered += 1
                return
            except _Retry as exc:
                problem = str(exc)
            except urllib.error.HTTPError as exc:  # 3xx and 4xx: trying again will not help
                problem = f"HTTP {exc.code} {exc.reason}"
                break
            if attempt < self.options.attempts:
                time.sleep(pause_s)
                pause_s *= 2
        self.failed += 1
        log.warning("webhook %s: alert not delivered (%s)", self.url, problem)

    def _post(self, body: bytes) -> None:
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"content-type": "application/json", "user-agent": f"openhear/{__version__}"},
        )
        try:
            with self._opener.open(request, timeout=self.options.timeout_s) as response:
                response.read(65536)
        except urllib.error.HTTPError as exc:
            if exc.code >= 500 or exc.code == 429:
                raise _Retry(f"HTTP {exc.code} {exc.reason}") from None
            raise
        except (urllib.error.URLError, OSError) as exc:  # refused, unreachable, timed out
            reason = getattr(exc, "reason", exc)
            raise _Retry(str(reason) or type(exc).__name__) from None
