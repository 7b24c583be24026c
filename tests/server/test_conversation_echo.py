"""A conversation through the web app's real routes: the page's reply, heard back by its microphone,
is not stored as "them"; the same words spoken after the reply has played are. A caption stream for
an unknown conversation is refused."""

from __future__ import annotations

import asyncio
import io
import json
import time

import httpx
import numpy as np
import pytest
import soundfile as sf
import soxr
from websockets.asyncio.client import connect

from openhear.asr.wer import wer

pytestmark = pytest.mark.slow

RATE = 16000
REPLY = "Could you help me carry these bags to the car?"


class Microphone:
    """The page's microphone stream at real-time pace: what is not played is
    silence, as in a quiet room."""

    def __init__(self, ws, chunk_s: float = 0.1):
        self.ws = ws
        self.step = round(chunk_s * RATE)
        self.sent = 0
        self.started = time.monotonic()

    async def _send(self, samples: np.ndarray) -> None:
        pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
        for i in range(0, pcm.size, self.step):
            await self.ws.send(pcm[i : i + self.step].tobytes())
            self.sent += pcm[i : i + self.step].size
            await asyncio.sleep(max(0.0, self.started + self.sent / RATE - time.monotonic()))

    async def catch_up(self) -> None:
        """Silence up to now (the room while the page waited for the server)."""
        await self._send(
            np.zeros(
                max(0, round((time.monotonic() - self.started) * RATE) - self.sent), np.float32
            )
        )

    async def play(self, samples: np.ndarray) -> None:
        await self.catch_up()
        await self._send(samples)

    async def silence(self, seconds: float) -> None:
        await self.play(np.zeros(round(seconds * RATE), np.float32))


def echo_of(wav: bytes) -> np.ndarray:
    """The reply as the microphone hears it: 16 kHz, 6 dB quieter, 80 ms late (device and room)."""
    audio, rate = sf.read(io.BytesIO(wav), dtype="float32", always_2d=True)
    heard = 0.5 * soxr.resample(audio.mean(axis=1), rate, RATE).astype(np.float32)
    return np.concatenate([np.zeros(round(0.08 * RATE), np.float32), heard])


async def converse(app, conversation_id: int) -> list[dict]:
    """Listens in the conversation; says REPLY, whose echo the microphone hears at once; then the
    other person says the same words after a pause. Returns the socket's events."""
    start = {"type": "start", "sample_rate": RATE, "conversation_id": conversation_id}
    async with (
        connect(app.ws_url, max_size=None) as ws,
        httpx.AsyncClient(base_url=app.url, timeout=60) as http,
    ):
        await ws.send(json.dumps(start))
        assert json.loads(await ws.recv())["type"] == "ready"
        events: list[dict] = []

        async def receive():
            async for message in ws:
                events.append(json.loads(message))

        receiver = asyncio.create_task(receive())
        mic = Microphone(ws)
        await mic.silence(1.0)
        spoken = await http.post(
            "/api/speak", json={"text": REPLY, "conversation_id": conversation_id}
        )
        assert spoken.status_code == 200
        echo = echo_of(spoken.content)
        await mic.play(echo)  # the page plays the reply as it arrives; the microphone hears it
        await mic.silence(2.0)
        await mic.play(echo)  # the other person repeats it, after the reply has played
        await mic.silence(1.0)
        await ws.send(json.dumps({"type": "stop"}))
        await receiver
    return events


def test_our_reply_heard_back_is_not_stored_as_them_but_their_speech_is(live_app):
    conversation = httpx.post(
        f"{live_app.url}/api/conversations", json={"disclosure": False}
    ).json()["conversation"]
    events = asyncio.run(converse(live_app, conversation["id"]))

    entries = httpx.get(f"{live_app.url}/api/conversations/{conversation['id']}").json()["entries"]
    (me,) = [e for e in entries if e["speaker"] == "me"]
    them = [e for e in entries if e["speaker"] == "them"]
    assert me["text"] == REPLY
    # The words were heard twice but stored once: the repeat, which began after
    # the reply had played.
    assert them and wer(REPLY, " ".join(e["text"] for e in them)) <= 0.3
    assert all(e["start_s"] > me["end_s"] + 1.0 for e in them)
    # The page was shown exactly what was stored, on the conversation's clock.
    finals = [e for e in events if e["type"] == "final" and e["text"]]
    assert [(f["text"], f["start_s"]) for f in finals] == [
        (e["text"], round(e["start_s"], 3)) for e in them
    ]


def test_a_caption_stream_for_an_unknown_conversation_is_refused(live_app):
    async def run():
        async with connect(live_app.ws_url) as ws:
            await ws.send(
                json.dumps({"type": "start", "sample_rate": RATE, "conversation_id": 999999})
            )
            event = json.loads(await ws.recv())
            await ws.wait_closed()
            return event, ws.close_code

    event, code = asyncio.run(run())
    assert (
        event["type"] == "error" and "999999" in event["message"] and "\n" not in event["message"]
    )
    assert code == 1008
