"""Sound alerts in the server: a smoke alarm sent over the caption WebSocket reaches a
Server-Sent Events subscriber and the recent-alerts list; captions go on as before."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from server.live import caption_over_socket, first_alert, pcm16

pytestmark = pytest.mark.slow

ALARM = Path(__file__).parents[1] / "data" / "alerts" / "freesound_325367_fire_house_alarm.wav"


def test_a_smoke_alarm_on_the_caption_socket_reaches_event_subscribers(live_app):
    pcm, rate = pcm16(ALARM, 48000)  # as a browser sends it: 48 kHz, 0.1 s messages

    async def scenario():
        ready = asyncio.Event()
        listener = asyncio.create_task(first_alert(live_app.url, ready, 120.0))
        await asyncio.wait_for(ready.wait(), 30)
        captions = await caption_over_socket(live_app.ws_url, pcm, rate)
        return captions, await asyncio.wait_for(listener, 60)

    captions, (lines, alert) = asyncio.run(scenario())
    assert captions["events"][0] == {"type": "ready"} and captions["events"][-1] == {"type": "end"}
    assert lines[0] == ": openhear sound alerts" and "event: alert" in lines
    assert (alert["sound"], alert["life_safety"], alert["priority"]) == (
        "smoke",
        True,
        "life_safety",
    )
    assert 3.28 < alert["time_s"] <= 6.28  # seconds of the session's audio: within 3 s of the tone
    recent = httpx.get(live_app.url + "/api/alerts").json()["alerts"]
    assert alert["id"] in [a["id"] for a in recent]


def test_the_sounds_alerted_on(live_app):
    sounds = httpx.get(live_app.url + "/api/alerts/sounds").json()["sounds"]
    assert sounds[0] == {
        "sound": "smoke",
        "label": "Smoke or fire alarm",
        "priority": "life_safety",
    }
    assert {s["sound"] for s in sounds} >= {"co", "doorbell", "baby", "water"}
