"""Who may use the app: loopback by default, a token otherwise, same-origin browsers, bounded
bodies.

One ASGI middleware guards every HTTP and WebSocket request before any route sees it:
- the Host header must name this machine when bound to loopback (stops DNS-rebinding pages);
- with a token configured, it must come as `Authorization: Bearer`, `?token=` or the cookie the
  page sets, compared in constant time;
- a browser's Origin must match the Host on WebSockets and on every request that changes state;
- request bodies larger than `max_upload_bytes` are refused with 413.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openhear.server.options import ServerOptions

TOKEN_COOKIE = "openhear_token"
"""Cookie in which the page keeps the token after it was opened with `?token=`."""
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    """A fresh random token for a server reachable from other machines."""
    return secrets.token_urlsafe(24)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _hostname(host_header: str) -> str:
    return (urlsplit(f"//{host_header}").hostname or "").lower()


def presented_token(scope: Scope) -> str | None:
    """The token a request carries: bearer header, then `?token=`, then the page's cookie."""
    headers = _headers(scope)
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0]
    cookie = SimpleCookie(headers.get("cookie", ""))
    if TOKEN_COOKIE in cookie:
        return cookie[TOKEN_COOKIE].value
    return None


def same_origin(origin: str, host_header: str) -> bool:
    """True when a browser's Origin names the host the request was sent to."""
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host_header.lower()


class GuardMiddleware:
    """ASGI middleware applying the rules in the module docstring to every request."""

    def __init__(self, app: ASGIApp, options: ServerOptions) -> None:
        self.app = app
        self.options = options
        self.loopback_only = is_loopback(options.host)

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        headers = _headers(scope)
        host = headers.get("host", "")
        if self.loopback_only and not is_loopback(_hostname(host)):
            return 403, "this server only answers requests addressed to this machine (localhost)"
        if self.options.token is not None:
            token = presented_token(scope)
            if token is None or not secrets.compare_digest(
                token.encode(), self.options.token.encode()
            ):
                return (
                    401,
                    "a valid token is required: open the address printed by `openhear serve`",
                )
        origin = headers.get("origin")
        changes_state = scope["type"] == "websocket" or scope.get("method") not in SAFE_METHODS
        if changes_state and origin is not None and not same_origin(origin, host):
            return 403, f"requests from another site ({origin}) are not allowed"
        if scope["type"] == "http":
            length = headers.get("content-length", "0")
            if not length.isdigit():
                return 400, "Content-Length must be a number"
            if int(length) > self.options.max_upload_bytes:
                return (
                    413,
                    "request body too large (limit "
                    f"{self.options.max_upload_bytes // (1024 * 1024)} MiB)",
                )
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        refusal = self._refusal(scope)
        if refusal is not None:
            status, message = refusal
            if scope["type"] == "websocket":
                # Closing before accepting answers the handshake with HTTP 403.
                await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
                return
            return await send_json_error(send, status, message)
        if scope["type"] == "http":
            return await self._bounded(scope, receive, send)
        await self.app(scope, receive, send)

    async def _bounded(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Runs the app with a body streamed past the limit (no Content-Length) cut off and answered
        413.

        Route code that reads the body may catch the cut-off as a broken body (FastAPI's own parser
        and the form readers do), so whatever the app answers after it is replaced by the 413."""
        seen = 0
        limit = self.options.max_upload_bytes
        message_413 = f"request body too large (limit {limit // (1024 * 1024)} MiB)"
        cut_off = started = replaced = False

        async def bounded_receive() -> Message:
            nonlocal seen, cut_off
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    cut_off = True
                    raise BodyTooLarge(message_413)
            return message

        async def answer(message: Message) -> None:
            nonlocal started, replaced
            if message["type"] == "http.response.start" and cut_off and not started:
                replaced = True
                await send_json_error(send, 413, message_413)
            if not replaced:
                await send(message)
            started = True

        await self.app(scope, bounded_receive, answer)


class BodyTooLarge(Exception):
    """A request body grew past the upload limit while being read (answered 413
    by `GuardMiddleware`)."""


async def send_json_error(
    send: Send, status: int, message: str, kind: str = "invalid_request_error"
) -> None:
    """Answers with the app's one-line JSON error body."""
    body = json.dumps(error_body(message, kind)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def error_body(
    message: str,
    kind: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
) -> dict:
    """The one error shape of every HTTP answer (as OpenAI-style clients expect)."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}
