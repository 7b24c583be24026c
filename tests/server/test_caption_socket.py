"""The caption WebSocket with the real Whisper model: real speech in, its words
out; bad input refused."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from openhear.asr.wer import normalize, wer
from server.live import caption_over_socket, pcm16

pytestmark = pytest.mark.slow


def by_id(manifest, utterance_id):
    return next(u for u in manifest if u.id == utterance_id)


async def _bad_session(ws_url: str, first, then=None) -> tuple[list[dict], int | None]:
    """Sends `first` (and `then`), returns the events received and the close code."""
    async with connect(ws_url, max_size=None) as ws:
        await ws.send(first)
        if then is not None:
            await ws.recv()  # ready
            await ws.send(then)
        events = []
        try:
            async for message in ws:
                events.append(json.loads(message))
        except ConnectionClosedError:
            pass
    return events, ws.close_code


BAD_INPUTS = {
    "garbage bytes first": (b"\x00\xff" * 100, None, 1008, "start message"),
    "text that is not JSON": ("hello there", None, 1008, "bad start message"),
    "start without a rate": (json.dumps({"type": "start"}), None, 1008, "sample_rate"),
    "impossible rate": (
        json.dumps({"type": "start", "sample_rate": 12}),
        None,
        1008,
        "sample_rate",
    ),
    "unknown field": (json.dumps({"type": "start", "sample_rate": 16000, "x": 1}), None, 1008, "x"),
    "odd-length audio": (
        json.dumps({"type": "start", "sample_rate": 16000}),
        b"\x01\x02\x03",
        1003,
        "16-bit",
    ),
    "oversized frame": (
        json.dumps({"type": "start", "sample_rate": 16000}),
        b"\x00" * 300_000,
        1009,
        "too large",
    ),
    "garbage control": (json.dumps({"type": "start", "sample_rate": 16000}), "{{{", 1003, "JSON"),
    "unknown control": (
        json.dumps({"type": "start", "sample_rate": 16000}),
        '{"type": "explode"}',
        1003,
        "unknown",
    ),
    "deeply nested control": (
        json.dumps({"type": "start", "sample_rate": 16000}),
        "[" * 100_000,
        1003,
        "nested more than 32 levels",
    ),
    "too many words to watch for": (
        json.dumps({"type": "start", "sample_rate": 16000, "alert_words": ["a"] * 21}),
        None,
        1008,
        "alert_words",
    ),
    "conversation id past 64 bits": (
        json.dumps({"type": "start", "sample_rate": 16000, "conversation_id": 10**23}),
        None,
        1008,
        "no conversation with id",
    ),
    "unknown conversation": (
        json.dumps({"type": "start", "sample_rate": 16000, "conversation_id": 999999}),
        None,
        1008,
        "no conversation with id 999999 (GET /api/conversations lists them)",
    ),
}


def test_two_sessions_caption_their_own_speech_while_bad_clients_are_refused(live_app, manifest):
    """Two sessions at different client rates get their own words; bad clients around them get an
    error event and a closed connection without disturbing them. Session A pauses (flush) and
    repeats its recording: the second copy's captions continue the first's clock."""
    a = by_id(manifest, "cmu_arctic_aew_a0001")
    b = by_id(manifest, "cmu_arctic_unknown-spk_a0010")
    pcm_a, rate_a = pcm16(a.path)
    pcm_b, rate_b = pcm16(b.path, rate=44100)  # a browser at 44.1 kHz: the server resamples

    async def bad_clients():  # one at a time beside the two good sessions, within the session limit
        await asyncio.sleep(0.5)
        return [
            await _bad_session(live_app.ws_url, first, then)
            for first, then, _, _ in BAD_INPUTS.values()
        ]

    async def run():
        return await asyncio.gather(
            caption_over_socket(live_app.ws_url, [pcm_a, pcm_a], rate_a, pace=1.0),
            caption_over_socket(live_app.ws_url, pcm_b, rate_b, pace=1.0),
            bad_clients(),
        )

    got_a, got_b, refused = asyncio.run(run())
    assert wer(f"{a.text} {a.text}", got_a["text"]) <= 0.35, got_a["text"]
    finals_a = [e for e in got_a["events"] if e["type"] == "final" and e["text"]]
    assert all(x["start_s"] <= y["start_s"] for x, y in zip(finals_a, finals_a[1:], strict=False))
    assert finals_a[-1]["end_s"] > a.duration_s  # the repeat is timed after the pause, not from 0
    assert wer(b.text, got_b["text"]) <= 0.35, got_b["text"]
    # Kept apart: neither transcript carries the other's distinctive words.
    assert not {"danger", "trail"} & set(normalize(got_b["text"]))
    assert not {"losing", "game", "playing"} & set(normalize(got_a["text"]))
    assert got_a["events"][0] == {"type": "ready"} and got_a["events"][-1] == {"type": "end"}
    for (name, (_, _, code, words)), (events, close_code) in zip(
        BAD_INPUTS.items(), refused, strict=False
    ):
        assert close_code == code, name
        assert events[-1]["type"] == "error" and words in events[-1]["message"], (name, events)


def test_a_session_past_the_limit_is_told_the_server_is_busy(live_app):
    async def run():
        limit = live_app.options.max_caption_sessions
        holders = [await connect(live_app.ws_url) for _ in range(limit)]
        try:
            async with connect(live_app.ws_url) as extra:
                busy = json.loads(await extra.recv())
                await extra.wait_closed()
            async with (
                httpx.AsyncClient() as client
            ):  # the health check still answers, with the load
                health = (await client.get(f"{live_app.url}/api/health")).json()
        finally:
            for ws in holders:
                await ws.close()
        return busy, extra.close_code, health

    busy, code, health = asyncio.run(run())
    assert busy["type"] == "busy" and "busy" in busy["message"]
    assert busy["active"] == busy["limit"] == live_app.options.max_caption_sessions
    assert code == 1013
    assert health["captions"]["active_sessions"] == health["captions"]["max_sessions"]


def test_a_websocket_from_another_site_is_refused(live_app):
    async def run():
        async with connect(live_app.ws_url, origin="http://evil.example"):
            pass

    with pytest.raises(InvalidStatus) as info:
        asyncio.run(run())
    assert info.value.response.status_code == 403
