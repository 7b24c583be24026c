"""Sound alerts for the page and other apps: a Server-Sent Events stream, the stored alerts as
JSON, acknowledgement, and a WebSocket that listens for sounds without captioning.

    GET /api/alerts/events   text/event-stream: `event: alert` with the alert as JSON `data`, and
                             `event: acknowledged` with {"type", "id", "acknowledged_at"}
    GET /api/alerts          {"alerts": [...]}: the last alerts, oldest first
    POST /api/alerts/{id}/acknowledge   the acknowledgement (404 for an unknown id)
    GET /api/alerts/sounds   {"sounds": [...]}: the sounds alerted on, with label and priority
    WS /ws/alerts            the caption socket's protocol (a JSON start message with
                             sample_rate, then 16-bit mono PCM, {"type": "stop"} to end), for
                             sound alerts only: answers {"type": "ready"} and, at the end,
                             {"type": "end"}; bad input gets {"type": "error", "message"}

An alert is {"id", "type": "alert", "sound", "label", "priority", "life_safety", "time_s",
"start_s", "score", "source", "detail", "wall_time", "session", "acknowledged_at"}; times are
seconds of the session's audio (`session` numbers the audio sockets since the server started).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, Request, WebSocket
from fastapi.responses import StreamingResponse
from starlette.websockets import WebSocketDisconnect

from openhear.alerts.sounds import DEFAULT_SOUNDS, SOUNDS
from openhear.server.alerts import AlertStream, alert_hub
from openhear.server.caption_session import refuse
from openhear.server.options import ServerOptions
from openhear.server.state import app_state

KEEPALIVE_S = 15.0
"""A comment line this often keeps proxies from closing a quiet stream (and finds gone clients)."""

MAX_LISTENERS = 8
"""Alerts-only sockets served at once (each runs a detector thread; YAMNet is light)."""
MAX_CONTROL_CHARS = 1000
"""Longest JSON control message on the alerts socket."""

router = APIRouter()


@router.post("/api/alerts/{alert_id}/acknowledge")
def acknowledge_alert(alert_id: int, request: Request) -> dict:
    """The person has seen the alert: it stops showing on every page."""
    event = alert_hub(request).acknowledge(alert_id)
    if event is None:
        raise HTTPException(404, f"no alert {alert_id} in the history")
    return event


@router.get("/api/alerts")
def recent_alerts(request: Request) -> dict:
    """The last alerts, oldest first."""
    return {"alerts": alert_hub(request).recent()}


@router.get("/api/alerts/sounds")
def alert_sounds() -> dict:
    """The sounds the server alerts on."""
    return {
        "sounds": [
            {"sound": k, "label": SOUNDS[k].label, "priority": SOUNDS[k].priority.name.lower()}
            for k in DEFAULT_SOUNDS
        ]
    }


@router.get("/api/alerts/events")
async def alert_events(request: Request) -> StreamingResponse:
    """Every alert from now on, as Server-Sent Events."""
    hub = alert_hub(request)
    subscription = hub.subscribe()

    async def events() -> AsyncIterator[str]:
        try:
            yield ": openhear sound alerts\n\n"
            while True:
                try:
                    record = await asyncio.wait_for(subscription.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                kind = record["type"]
                ident = f"id: {record['id']}\n" if kind == "alert" else ""
                yield f"{ident}event: {kind}\ndata: {json.dumps(record)}\n\n"
        finally:
            hub.unsubscribe(subscription)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


@router.websocket("/ws/alerts")
async def alerts_socket(ws: WebSocket) -> None:
    """Sound alerts from the page's microphone without captions (protocol above)."""
    options = app_state(ws).options
    hub = alert_hub(ws)
    await ws.accept()
    if hub.listeners >= MAX_LISTENERS:
        return await refuse(ws, {"type": "busy", "message": "too many listeners"}, 1013)
    hub.listeners += 1
    stream = AlertStream(hub, hub.new_session())
    try:
        problem = await _listen(ws, stream, options)
        if problem:
            await refuse(ws, {"type": "error", "message": problem}, 1008)
        else:
            await ws.send_json({"type": "end"})
            await ws.close()
    except (WebSocketDisconnect, RuntimeError):
        pass  # the page went away
    finally:
        hub.listeners -= 1
        stream.close()


def _control(text: str | None) -> dict:
    """A JSON control message as a dict (empty if it is not one)."""
    if text is None or len(text) > MAX_CONTROL_CHARS:
        return {}
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        return {}
    return message if isinstance(message, dict) else {}


async def _listen(ws: WebSocket, stream: AlertStream, options: ServerOptions) -> str | None:
    """Feeds the socket's messages to the stream until stop or disconnect; a problem to report."""
    started = False
    while True:
        wait_s = options.caption_idle_timeout_s if started else options.start_timeout_s
        try:
            message = await asyncio.wait_for(ws.receive(), wait_s)
        except TimeoutError:
            return f"nothing received for {wait_s:g} s"
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        data, text = message.get("bytes"), message.get("text")
        if not started:
            start = _control(text)
            rate = start.get("sample_rate")
            if start.get("type") != "start" or not (
                isinstance(rate, int) and 8000 <= rate <= 192000
            ):
                return 'the first message must be {"type": "start", "sample_rate": 8000 to 192000}'
            started = True
            stream.observe(message)
            await ws.send_json({"type": "ready"})
        elif data is not None:
            if len(data) > options.max_ws_message_bytes or len(data) % 2:
                return (
                    "audio must be 16-bit PCM in messages of at most "
                    f"{options.max_ws_message_bytes} bytes"
                )
            stream.observe(message)
        elif text is not None:
            kind = _control(text).get("type")
            if kind not in ("flush", "stop"):
                return f"unknown control message: {kind!r}"
            stream.observe(message)
            if kind == "stop":
                return None
