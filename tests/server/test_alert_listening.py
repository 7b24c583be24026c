"""Listening for sounds without captions (/ws/alerts), the stored history and acknowledgement, and
`serve --webhook`: on a real app (no caption or speech models: alerts need neither) with the real
detector, the real smoke alarm recording, and a real local HTTP server standing for Home Assistant.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from alerts.receiver import WebhookReceiver

from openhear.server import ServerOptions, create_app
from openhear.server.alerts import ALERTS_FILE
from openhear.server.runner import BackgroundServer
from openhear.server.services import load_services
from server.live import pcm16

pytestmark = pytest.mark.slow

ALARM = Path(__file__).parents[1] / "data" / "alerts" / "freesound_325367_fire_house_alarm.wav"


def serve(data_dir: Path, webhook: str | None = None) -> BackgroundServer:
    options = ServerOptions(alert_webhook_url=webhook)
    services = load_services(data_dir, captions=False, speech=False)
    return BackgroundServer(create_app(options, services), options)


async def listen(url: str, messages: list[str | bytes]) -> list[dict]:
    """Sends the messages over /ws/alerts; the server's answers until it closes."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosedError

    answers = []
    async with connect(url.replace("http://", "ws://") + "/ws/alerts") as ws:
        try:
            for message in messages:
                await ws.send(message)
            async for answer in ws:
                answers.append(json.loads(answer))
        except ConnectionClosedError as closed:  # after bad input: the answer came before
            assert closed.rcvd is not None and closed.rcvd.code == 1008
    return answers


def alarm_messages(rate: int = 48000) -> list[str | bytes]:
    pcm, rate = pcm16(ALARM, rate)
    step = rate // 10 * 2  # 0.1 s messages, as the page sends them
    return [
        json.dumps({"type": "start", "sample_rate": rate}),
        *(pcm[i : i + step] for i in range(0, len(pcm), step)),
        json.dumps({"type": "stop"}),
    ]


def test_listening_for_sounds_alone_stores_posts_and_acknowledges(tmp_path):
    receiver = WebhookReceiver()
    server = serve(tmp_path, receiver.url)
    try:
        answers = asyncio.run(listen(server.url, alarm_messages()))
        assert answers == [{"type": "ready"}, {"type": "end"}]
        (posted,) = receiver.wait_for(1)
        assert (posted["type"], posted["sound"], posted["life_safety"]) == ("alert", "smoke", True)
        assert 3.28 < posted["time_s"] <= 6.28 and posted["acknowledged_at"] is None
        stored = httpx.get(server.url + "/api/alerts").json()["alerts"]
        assert [a["id"] for a in stored] == [posted["id"]]
        ack = httpx.post(f"{server.url}/api/alerts/{posted['id']}/acknowledge").json()
        assert (
            ack["type"] == "acknowledged" and ack["id"] == posted["id"] and ack["acknowledged_at"]
        )
        again = httpx.post(f"{server.url}/api/alerts/{posted['id']}/acknowledge").json()
        assert again == ack  # the first acknowledgement stands
        missing = httpx.post(f"{server.url}/api/alerts/999/acknowledge")
        assert missing.status_code == 404 and "no alert 999" in missing.json()["error"]["message"]
    finally:
        server.stop()
        receiver.close()
    # A restarted server has the history, acknowledgement included, and numbers on from it.
    assert (tmp_path / ALERTS_FILE).stat().st_mode & 0o077 == 0
    server = serve(tmp_path)
    try:
        stored = httpx.get(server.url + "/api/alerts").json()["alerts"]
        assert [(a["id"], a["acknowledged_at"]) for a in stored] == [
            (posted["id"], ack["acknowledged_at"])
        ]
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        ([b"\x00\x00"], 'the first message must be {"type": "start"'),
        ([json.dumps({"type": "start", "sample_rate": 4000})], "8000 to 192000"),
        ([json.dumps({"type": "start", "sample_rate": 16000}), b"\x00"], "16-bit PCM"),
        ([json.dumps({"type": "start", "sample_rate": 16000}), "[" * 5000], "unknown control"),
    ],
)
def test_bad_input_on_the_alerts_socket_is_one_error(tmp_path, messages, message):
    server = serve(tmp_path)
    try:
        answers = asyncio.run(listen(server.url, messages))
    finally:
        server.stop()
    assert answers[-1]["type"] == "error" and message in answers[-1]["message"]


def test_a_corrupt_history_file_starts_afresh(tmp_path):
    (tmp_path / ALERTS_FILE).write_text("{not json")
    server = serve(tmp_path)
    try:
        assert httpx.get(server.url + "/api/alerts").json() == {"alerts": []}
    finally:
        server.stop()
