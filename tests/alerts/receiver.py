"""A real HTTP server on 127.0.0.1 that stands for Home Assistant: it records the webhook POSTs it
gets and answers each with the status the test scripts (200 once the script runs out)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WAIT_S = 120.0
"""Generous bound on a wait: a loaded machine is slow, a hung test still ends."""


class WebhookReceiver:
    """`url`; `posts` (path, headers, JSON body) as they come; `statuses` answers in turn;
    `hold` (an Event) not set keeps every answer waiting until it is set."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.posts: list[tuple[str, dict[str, str], dict]] = []
        self.statuses = list(statuses or [])
        self.hold = threading.Event()
        self.hold.set()
        self._new = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._new:
                    receiver.posts.append((self.path, dict(self.headers), json.loads(body)))
                    receiver._new.notify_all()
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.hold.wait(WAIT_S)
                try:
                    self.send_response(status)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/api/webhook/openhear-test"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, count: int, timeout_s: float = WAIT_S) -> list[dict]:
        """The bodies of the first `count` posts, once that many have come."""
        deadline = time.monotonic() + timeout_s
        with self._new:
            while len(self.posts) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"only {len(self.posts)} of {count} posts came: {self.posts}"
                self._new.wait(left)
            return [body for _, _, body in self.posts[:count]]

    def close(self) -> None:
        self.hold.set()
        self._server.shutdown()
        self._server.server_close()
