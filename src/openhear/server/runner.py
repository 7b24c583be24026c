"""Running the app with uvicorn: in the foreground (`openhear serve`) or on a
thread (tests, bench)."""

from __future__ import annotations

import asyncio
import socket
import threading

import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

from openhear.errors import OpenhearError
from openhear.server.options import ServerOptions


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or a one-line error (port in use, address not on this machine)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        raise OpenhearError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline on request headers, which uvicorn lacks: a
    connection that has not sent a whole request head `header_timeout_s` after it opened (or after
    the previous answer, on a kept-alive connection) is closed, so a slowloris client trickling
    bytes cannot hold it open. Bodies have their own deadline (openhear.server.security)."""

    header_timeout_s: float = 10.0
    _deadline: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.header_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    # uvicorn's own override narrows asyncio's BaseTransport to Transport, and so must this one
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def handle_events(self) -> None:
        scope = self.scope
        super().handle_events()
        if self.scope is not scope:  # a request head arrived (a WebSocket upgrade too)
            self._disarm()

    def on_response_complete(self) -> None:
        if not self.transport.is_closing():
            self._arm()  # before uvicorn handles a pipelined request, which disarms it again
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def make_server(app: ASGIApp, options: ServerOptions) -> uvicorn.Server:
    """A uvicorn server for `app`: request heads must arrive within `options.header_timeout_s`, and
    frames far past the app's own message limit are cut off by uvicorn."""
    protocol = type(
        "HeaderDeadlineProtocol",
        (HeaderDeadlineProtocol,),
        {"header_timeout_s": options.header_timeout_s},
    )
    config = uvicorn.Config(
        app,
        log_level="warning",
        loop="asyncio",  # not uvloop, even where openhear[scale] installed it
        http=protocol,
        ws="websockets-sansio",
        ws_max_size=4 * options.max_ws_message_bytes,
    )
    return uvicorn.Server(config)


class BackgroundServer:
    """The app served on a free loopback port from a daemon thread; `url` once
    started, `stop()` to end."""

    def __init__(self, app: ASGIApp, options: ServerOptions, timeout_s: float = 30.0) -> None:
        self._socket = bind("127.0.0.1", 0)
        self.port: int = self._socket.getsockname()[1]
        """The port the OS gave us."""
        self.url = f"http://127.0.0.1:{self.port}"
        """Base address of the running app."""
        self._server = make_server(app, options)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name="openhear-server",
            daemon=True,
        )
        self._thread.start()
        self._thread.join(0.05)
        waited = 0.0
        while not self._server.started:
            if not self._thread.is_alive() or waited > timeout_s:
                raise OpenhearError("the web app did not start")
            self._thread.join(0.05)
            waited += 0.05

    def stop(self) -> None:
        """Asks uvicorn to finish and waits for it."""
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()
