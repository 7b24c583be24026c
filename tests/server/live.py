"""One real openhear web app per test session: real models, a temporary data
directory, a free port."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from openhear.server import ServerOptions, create_app
from openhear.server.alerts import AlertHub
from openhear.server.runner import BackgroundServer
from openhear.server.services import Services, load_services

TEST_OPTIONS = ServerOptions(
    max_caption_sessions=4, max_backlog_s=60.0, max_utilization=100.0, max_queued_audio_s=60.0
)
"""The options the live app runs with: the defaults of `openhear serve`, except that sessions are
neither refused nor ended for load (the test machine is shared; tests/server/test_sessions.py and
test_limits.py cover that)."""


@dataclass
class LiveApp:
    """The running app: its address, its options, the services (models, stores) behind it, and
    its alert hub (tests publish alerts through it as a detector would)."""

    url: str
    options: ServerOptions
    services: Services
    alerts: AlertHub

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws/captions"


@pytest.fixture(scope="session")
def live_app(tmp_path_factory) -> LiveApp:
    services = load_services(tmp_path_factory.mktemp("live-data"))
    app = create_app(TEST_OPTIONS, services)
    server = BackgroundServer(app, TEST_OPTIONS)
    yield LiveApp(server.url, TEST_OPTIONS, services, app.state.openhear_alerts)
    server.stop()


def pcm16(path: Path, rate: int | None = None) -> tuple[bytes, int]:
    """A speech file as mono 16-bit PCM bytes, resampled to `rate` when given
    (the client's rate)."""
    audio, file_rate = sf.read(path, dtype="float32", always_2d=True)
    audio = audio.mean(axis=1)
    if rate and rate != file_rate:
        import soxr

        audio = soxr.resample(audio, file_rate, rate)
    else:
        rate = file_rate
    return (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes(), rate


async def caption_over_socket(
    ws_url: str,
    pcm: bytes | list[bytes],
    rate: int,
    chunk_s: float = 0.1,
    pace: float = 0.0,
    start: dict | None = None,
) -> dict:
    """Streams PCM (pieces with a flush between them, as a paused page does) through one caption
    session; returns the finals' text and every event. `pace` 1.0 sends at real time, 0 at once;
    `start`: more fields for the start message."""
    pieces = [pcm] if isinstance(pcm, bytes) else pcm
    from websockets.asyncio.client import connect

    events = []
    async with connect(ws_url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "start", "sample_rate": rate, **(start or {})}))
        events.append(json.loads(await ws.recv()))
        step = int(rate * chunk_s) * 2

        async def send_all():
            for n, piece in enumerate(pieces):
                if n:
                    await ws.send(json.dumps({"type": "flush"}))
                for i in range(0, len(piece), step):
                    await ws.send(piece[i : i + step])
                    await asyncio.sleep(chunk_s * pace)
            await ws.send(json.dumps({"type": "stop"}))

        sender = asyncio.create_task(send_all())
        async for message in ws:
            events.append(json.loads(message))
        await sender
    return {"text": revised_text(events), "events": events}


def revised_text(events: list[dict]) -> str:
    """The finals' text with each "revision" event applied to the finals of its utterance."""
    texts: dict[int, list[str]] = {}
    order: list[int] = []
    for n, e in enumerate(events):
        key = e.get("utterance") or -(n + 1)  # a final without a number stands alone
        if e["type"] == "final" and e["text"]:
            if key not in texts:
                order.append(key)
            texts.setdefault(key, []).append(e["text"])
        elif e["type"] == "revision" and key in texts:
            texts[key] = [e["text"]]
    return " ".join(t for key in order for t in texts[key] if t)


async def first_alert(
    url: str, ready: asyncio.Event, timeout_s: float, sound: str | None = None
) -> tuple[list[str], dict]:
    """Subscribes to the app's alert event stream; returns its lines up to the first alert (for
    `sound`, when given) and that alert."""
    import httpx

    lines: list[str] = []
    async with httpx.AsyncClient(timeout=timeout_s) as client:
        async with client.stream("GET", url + "/api/alerts/events") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            ready.set()
            async for line in response.aiter_lines():
                lines.append(line)
                if line.startswith("data: "):
                    record = json.loads(line[6:])
                    if record["type"] == "alert" and sound in (None, record["sound"]):
                        return lines, record
    raise AssertionError(f"the stream ended without an alert: {lines}")
