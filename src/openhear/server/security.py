"""Who may use the app: loopback by default, a token otherwise, same-origin browsers, bounded
bodies.

One ASGI middleware guards every HTTP and WebSocket request before any route sees it:
- the Host header must name this machine when bound to loopback (stops DNS-rebinding pages);
- with a token configured, it must come as `Authorization: Bearer`, `?token=` or the cookie the
  page sets, compared in constant time;
- a browser's Origin must match the Host on WebSockets and on every request that changes state;
- request bodies larger than `max_upload_bytes` are refused with 413, JSON bodies nested deeper
  than MAX_JSON_DEPTH with 400, and bodies still incomplete after `body_timeout_s` with 408.
(Slow request headers are cut off before any of this: see openhear.server.runner.)
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from starlette.status import WS_1008_POLICY_VIOLATION
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openhear.server.limits import JsonDepth, JsonTooDeep
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


def _hostname(host_header: str) -> str | None:
    """The host name a Host header names ("" if none), or None when it cannot be parsed."""
    try:
        return (urlsplit(f"//{host_header}").hostname or "").lower()
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None


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
    try:
        parts = urlsplit(origin)
    except ValueError:  # an unparsable Origin names no site, least of all this one
        return False
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
        hostname = _hostname(host)
        if hostname is None:
            return 400, "the Host header is not a valid host name"
        if self.loopback_only and not is_loopback(hostname):
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
            if not (length.isascii() and length.isdigit()):
                return 400, "Content-Length must be a number"
            # (a length of 19 digits or more is past any limit, and past what int() should parse)
            if len(length) > 18 or int(length) > self.options.max_upload_bytes:
                return 413, self._too_large()
        return None

    def _too_large(self) -> str:
        return (
            f"request body too large (limit {self.options.max_upload_bytes // (1024 * 1024)} MiB)"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        refusal = self._refusal(scope)
        if refusal is not None:
            status, message = refusal
            if scope["type"] == "websocket":
                # Closing before accepting answers the handshake with HTTP 403.
                await send(
                    {
                        "type": "websocket.close",
                        "code": WS_1008_POLICY_VIOLATION,
                        "reason": message[:120],
                    }
                )
                return
            # OpenAI's code for a wrong key, which its clients show as such
            code = "invalid_api_key" if status == 401 else None
            return await send_json_error(send, status, message, code=code)
        if scope["type"] == "http":
            return await self._bounded(scope, receive, send)
        await self.app(scope, receive, send)

    async def _bounded(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Runs the app with its body checked while it is read: past the size limit (413), a JSON
        body nested too deep (400), or not all there within `body_timeout_s` (408, and the
        connection is closed).

        Route code that reads the body may catch the refusal as a broken body (FastAPI's own
        parser and the form readers do), so whatever the app answers after it is replaced by the
        refusal."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.body_timeout_s
        depth = JsonDepth() if _declares_json(_headers(scope).get("content-type")) else None
        seen = 0
        refused: BodyRefused | None = None
        body_done = started = replaced = False

        def refuse(status: int, message: str) -> BodyRefused:
            nonlocal refused
            refused = BodyRefused(status, message)
            return refused

        async def checked_receive() -> Message:
            nonlocal seen, body_done
            if refused is not None:
                raise refused
            if body_done:  # later reads only wait for the client to leave
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), deadline - loop.time())
            except TimeoutError:
                timeout_s = self.options.body_timeout_s
                raise refuse(
                    408, f"the request body did not arrive within {timeout_s:g} s"
                ) from None
            if message["type"] != "http.request":
                body_done = True
                return message
            body = message.get("body", b"")
            seen += len(body)
            if seen > self.options.max_upload_bytes:
                raise refuse(413, self._too_large())
            if depth is not None:
                try:
                    depth.feed(body)
                except JsonTooDeep as exc:
                    raise refuse(400, f"the request body is {exc}") from None
            body_done = not message.get("more_body", False)
            return message

        async def answer(message: Message) -> None:
            nonlocal started, replaced
            if message["type"] == "http.response.start" and refused is not None and not started:
                replaced = True
                await send_json_error(
                    send, refused.status, str(refused), close=refused.status == 408
                )
            if not replaced:
                await send(message)
            started = True

        await self.app(scope, checked_receive, answer)


def _declares_json(content_type: str | None) -> bool:
    """True for a body the app parses as JSON: declared so, or not declared at all."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in ("", "application/json") or media.endswith("+json")


class BodyRefused(Exception):
    """A request body refused while being read (too large, nested too deep, or too slow); answered
    with `status` by `GuardMiddleware`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def send_json_error(
    send: Send,
    status: int,
    message: str,
    kind: str = "invalid_request_error",
    close: bool = False,
    code: str | None = None,
) -> None:
    """Answers with the app's one-line JSON error body; with `close`, the connection then ends."""
    body = json.dumps(error_body(message, kind, code=code)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": headers + ([(b"connection", b"close")] if close else []),
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
