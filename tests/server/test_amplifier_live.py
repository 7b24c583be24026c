"""The amplifier API driving the shared LiveAmplifier on a stand-in duplex sound card (none here):
start, status with levels per ear, a live slider move, stop. The stand-in's thread calls the
amplifier's callback as PortAudio's audio thread would; the chain inside is the real one."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest
from fastapi.testclient import TestClient

from openhear.dsp.testsignals import tone
from openhear.server import ServerOptions, create_app
from openhear.server.services import Services

RATE = 48000
DEVICE = {"name": "stand-in", "max_input_channels": 2, "max_output_channels": 2, "default_samplerate": float(RATE)}


class _Card:
    def __init__(self):
        self.streams: list[_Duplex] = []

    def query_devices(self, device=None, kind=None):
        return [DEVICE] if kind is None and device is None else DEVICE

    def Stream(self, samplerate, blocksize, device, channels, dtype, latency, callback):  # noqa: N802 (sounddevice's name)
        self.streams.append(_Duplex(blocksize, callback))
        return self.streams[-1]


class _Duplex:
    def __init__(self, blocksize, callback):
        self.blocksize, self.callback = blocksize, callback
        left = tone(1000, 60.0, 0.5, RATE)
        self.input = np.stack([left, 0.1 * left], axis=1).astype(np.float32)  # the right ear 20 dB quieter
        self.active = self.closed = False
        self.blocks = 0

    def start(self):
        self.active = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        status = SimpleNamespace(input_overflow=False, output_underflow=False)
        stamps = SimpleNamespace(inputBufferAdcTime=2.0, outputBufferDacTime=2.005)
        outdata = np.zeros((self.blocksize, 2), np.float32)
        while self.active:
            at = (self.blocks * self.blocksize) % (len(self.input) - self.blocksize)
            self.callback(self.input[at: at + self.blocksize], outdata, self.blocksize, stamps, status)
            self.blocks += 1
            time.sleep(0.0002)

    def stop(self):
        self.active = False
        self._thread.join()

    def close(self):
        self.closed = True


@pytest.fixture
def client(tmp_path, monkeypatch):
    card = _Card()
    monkeypatch.setattr("openhear.audio.devices.sounddevice", lambda: card)
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
    assert client.put("/api/fitting/profile", json=next(p for p in presets if p["name"] == "N3")).status_code == 200
    assert client.get("/api/amplifier").json()["devices"]["available"]
    started = client.post("/api/amplifier/start", json={"block_frames": 128})
    assert started.status_code == 200 and started.json()["running"]
    assert client.post("/api/amplifier/start", json={}).status_code == 400  # one at a time
    status = _after_blocks(client, RATE // 128)
    assert status["device_latency_ms"] == pytest.approx(5.0) and status["dropouts"] == 0
    levels = status["levels"]
    assert levels["input_rms_dbfs"][0] - levels["input_rms_dbfs"][1] == pytest.approx(20.0, abs=0.5)
    assert status["input_level_dbfs"] == levels["input_rms_dbfs"][0]  # the louder ear
    assert status["output_level_dbfs"] > status["input_level_dbfs"]  # gain for the loss
    before = levels["output_rms_dbfs"][0]
    assert client.post("/api/amplifier/adjust", json={"boost_db": 6}).json()["adjustments"]["boost_db"] == 6
    after = _after_blocks(client, RATE // 128)["levels"]["output_rms_dbfs"][0]
    assert after - before == pytest.approx(6.0, abs=1.0)
    stopped = client.post("/api/amplifier/stop").json()
    assert not stopped["running"] and stopped["input_level_dbfs"] is None and client.card.streams[-1].closed
    assert stopped["blocks"] > 0  # the last run's statistics stay shown
    assert client.post("/api/amplifier/start", json={}).json()["running"]  # and it starts again
    client.post("/api/amplifier/stop")
