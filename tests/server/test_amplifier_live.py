"""The amplifier API driving the shared LiveAmplifier on a stand-in duplex sound card (none here):
start, status with levels per ear, a live slider move, stop. The stand-in's thread
(tests/standin_sounddevice.py) calls the amplifier's callback as PortAudio's audio thread would;
the chain inside is the real one."""

from __future__ import annotations

import time

import numpy as np
import pytest
from fastapi.testclient import TestClient

from openhear.dsp.testsignals import tone
from openhear.server import ServerOptions, create_app
from openhear.server.services import Services

RATE = 48000


@pytest.fixture
def client(tmp_path, standin_card):
    left = tone(1000, 60.0, 0.5, RATE)
    stereo = np.stack([left, 0.1 * left], axis=1).astype(np.float32)  # the right ear 20 dB quieter
    card = standin_card(stereo, RATE, input_channels=2, device_latency_s=0.005)
    app = create_app(ServerOptions(), Services(data_dir=tmp_path / "data"))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        c.card = card
        yield c


def _after_blocks(client, count: int) -> dict:
    stream = client.card.streams[-1]
    target = stream.blocks + count
    while stream.blocks < target:
        time.sleep(0.01)
    return client.get("/api/amplifier/status").json()


def test_start_status_adjust_stop(client):
    presets = client.get("/api/fitting/presets").json()["presets"]
    assert (
        client.put(
            "/api/fitting/profile", json=next(p for p in presets if p["name"] == "N3")
        ).status_code
        == 200
    )
    assert client.get("/api/amplifier").json()["devices"]["available"]
    started = client.post("/api/amplifier/start", json={"block_frames": 128})
    assert started.status_code == 200 and started.json()["running"]
    assert client.post("/api/amplifier/start", json={}).status_code == 400  # one at a time
    status = _after_blocks(client, RATE // 128)
    assert status["device_latency_ms"] == pytest.approx(5.0) and status["dropouts"] == 0
    client.card.streams[-1].device_latency_s = 0.0125  # the devices' delay changes: measured live
    assert _after_blocks(client, 4)["device_latency_ms"] == pytest.approx(12.5)
    levels = status["levels"]
    assert levels["input_rms_dbfs"][0] - levels["input_rms_dbfs"][1] == pytest.approx(20.0, abs=0.5)
    assert status["input_level_dbfs"] == levels["input_rms_dbfs"][0]  # the louder ear
    assert status["output_level_dbfs"] > status["input_level_dbfs"]  # gain for the loss
    before = levels["output_rms_dbfs"][0]
    assert (
        client.post("/api/amplifier/adjust", json={"boost_db": 6}).json()["adjustments"]["boost_db"]
        == 6
    )
    after = _after_blocks(client, RATE // 128)["levels"]["output_rms_dbfs"][0]
    assert after - before == pytest.approx(6.0, abs=1.0)
    stopped = client.post("/api/amplifier/stop").json()
    assert (
        not stopped["running"]
        and stopped["input_level_dbfs"] is None
        and client.card.streams[-1].closed
    )
    assert stopped["blocks"] > 0  # the last run's statistics stay shown
    assert client.post("/api/amplifier/start", json={}).json()["running"]  # and it starts again
    client.post("/api/amplifier/stop")
