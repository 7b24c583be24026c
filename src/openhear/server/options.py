"""What the web server allows: where it listens, who may talk to it, and how much."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServerOptions:
    """Settings of one running web app; the defaults suit one person on their own computer."""

    host: str = "127.0.0.1"
    """Address to listen on. Anything but loopback requires a token."""
    port: int = 8000
    """TCP port to listen on."""
    token: str | None = None
    """Shared secret required on every HTTP and WebSocket request (None:
    loopback without a token)."""
    max_caption_sessions: int = 4
    """Caption WebSocket sessions served at once; more are refused with a "busy" message."""
    caption_update_interval_s: float = 0.5
    """Speech between two re-decodes in each caption session: longer costs less CPU per session
    (more sessions keep up) and shows provisional words later."""
    max_backlog_s: float = 3.0
    """New caption sessions are refused while a running one is this far behind real time."""
    max_utilization: float = 0.8
    """New caption sessions are refused while captioning keeps this share of the cores busy."""
    cores: float | None = None
    """CPU cores the caption sessions may use, for `max_utilization` (None: this machine's; a Ray
    Serve replica's: the CPUs it reserved)."""
    max_upload_bytes: int = 25 * 1024 * 1024
    """Largest HTTP request body accepted (recordings, imported audiograms)."""
    max_ws_message_bytes: int = 256 * 1024
    """Largest WebSocket message accepted from a client (about 2.7 s of 48 kHz 16-bit audio)."""
    start_timeout_s: float = 10.0
    """How long a caption session may wait before sending its start message."""
    caption_idle_timeout_s: float = 60.0
    """A caption session that sends nothing (no audio, no control message) for this long is ended
    with an error, so silent clients cannot hold the sessions (a paused page included)."""
    max_queued_audio_s: float = 10.0
    """Audio a caption session may have waiting to be captioned, seconds: a session further behind
    (a client sending faster than real time, or a server that cannot keep up) is ended with a "too
    far behind" error, so its memory stays bounded and new sessions are not refused for its sake."""
    header_timeout_s: float = 10.0
    """Time a connection has to send a request's headers (from when it opens, or from the previous
    answer on a kept-alive connection); slower connections are closed."""
    body_timeout_s: float = 60.0
    """Time a request has to send its whole body once its headers are in; a slower one gets 408
    and its connection is closed (25 MiB takes about 20 s at 10 Mbit/s)."""
    alert_webhook_url: str | None = None
    """Where each sound alert is also POSTed as JSON (`--webhook`); None: nowhere."""
