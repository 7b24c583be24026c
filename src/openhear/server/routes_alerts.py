"""Sound alerts for other apps: a Server-Sent Events stream and the recent alerts as JSON.

    GET /api/alerts/events   text/event-stream: `event: alert` with the alert as JSON `data`
    GET /api/alerts          {"alerts": [...]}: the last alerts, oldest first
    GET /api/alerts/sounds   {"sounds": [...]}: the sounds alerted on, with label and priority

An alert is {"id", "type": "alert", "sound", "label", "priority", "life_safety", "time_s",
"start_s", "score", "source", "detail", "session", "wall_time"}; times are seconds of the caption
session's audio (`session` numbers the caption WebSockets since the server started).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from openhear.alerts.sounds import DEFAULT_SOUNDS, SOUNDS
from openhear.server.alerts import AlertHub

KEEPALIVE_S = 15.0
"""A comment line this often keeps proxies from closing a quiet stream (and finds gone clients)."""

router = APIRouter()


def alert_hub(request: Request) -> AlertHub:
    """The app's hub (set up by create_app)."""
    return request.app.state.openhear_alerts


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
                yield f"id: {record['id']}\nevent: alert\ndata: {json.dumps(record)}\n\n"
        finally:
            hub.unsubscribe(subscription)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )
