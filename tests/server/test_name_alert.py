"""Your name in the web app: a caption session whose start message lists the person's name raises
the `name` alert through the alert hub when real speech says it (once per mention, urgent, as
`openhear alerts --name` does); a session that lists no words raises none."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from openhear.asr.wer import normalize
from server.live import caption_over_socket, first_alert, pcm16

pytestmark = pytest.mark.slow

PHIL = "cmu_arctic_axb_a0004"
"""Real speech that ends with a name: "Lord, but I'm glad to see you again, Phil." (2.8 s)."""


def name_alerts(url: str) -> list[dict]:
    return [a for a in httpx.get(url + "/api/alerts").json()["alerts"] if a["sound"] == "name"]


def test_a_name_said_in_live_captions_reaches_event_subscribers(live_app, manifest):
    speech = next(u for u in manifest if u.id == PHIL)
    pcm, rate = pcm16(speech.path, 48000)  # as a browser sends it: 48 kHz, 0.1 s messages
    before = len(name_alerts(live_app.url))

    async def scenario():
        ready = asyncio.Event()
        listener = asyncio.create_task(first_alert(live_app.url, ready, 120.0, sound="name"))
        await asyncio.wait_for(ready.wait(), 30)
        start = {"alert_words": ["Phil", "mum", "help"]}
        captions = await caption_over_socket(live_app.ws_url, pcm, rate, start=start)
        return captions, await asyncio.wait_for(listener, 60)

    captions, (lines, alert) = asyncio.run(scenario())
    assert "phil" in normalize(captions["text"]), captions["text"]
    assert "event: alert" in lines
    assert (alert["sound"], alert["priority"], alert["life_safety"], alert["source"]) == (
        "name",
        "urgent",
        False,
        "captions",
    )
    assert alert["label"] == "Your name or a listed word"
    assert alert["detail"].startswith('"phil" in ')
    assert 0 <= alert["start_s"] <= alert["time_s"] <= speech.duration_s + 1
    # One mention, one alert, although provisional, final and revised captions all showed it.
    session = [a for a in name_alerts(live_app.url) if a["session"] == alert["session"]]
    assert [a["id"] for a in session] == [alert["id"]]

    # The same speech without a name to watch for raises no name alert.
    plain = asyncio.run(caption_over_socket(live_app.ws_url, pcm, rate))
    assert plain["text"]
    assert len(name_alerts(live_app.url)) == before + 1
