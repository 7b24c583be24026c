"""Fixtures for the audio tests: a stand-in for the sounddevice module (this machine has no sound
card) with one input device whose stream calls its callback from a thread with a given signal, and
one output device that records what is written. Only the runners' own logic is tested with it."""

from __future__ import annotations

import threading

import numpy as np
import pytest


class StandInCard:
    def __init__(self, signal: np.ndarray | None = None, rate: int = 16000):
        self.signal = np.zeros(0, np.float32) if signal is None else signal
        self.rate = rate
        self.streams: list = []

    def query_devices(self, device=None, kind=None):
        return {"name": "stand-in", "max_input_channels": 1, "max_output_channels": 2,
                "default_samplerate": float(self.rate)}

    def InputStream(self, samplerate, blocksize, device, channels, dtype, callback):  # noqa: N802 (sounddevice's name)
        self.streams.append(InputStream(self.signal, blocksize, callback))
        return self.streams[-1]

    def OutputStream(self, samplerate, channels, dtype, device):  # noqa: N802
        self.streams.append(OutputStream(samplerate, channels))
        return self.streams[-1]


class InputStream:
    """Delivers the signal block by block as fast as the consumer takes them, then goes inactive."""

    def __init__(self, signal, blocksize, callback):
        self.signal, self.blocksize, self.callback = signal, blocksize, callback
        self.active = self.closed = False
        self._thread = None

    def start(self):
        self.active = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        for i in range(0, self.signal.size - self.blocksize + 1, self.blocksize):
            if not self.active:
                return
            self.callback(self.signal[i: i + self.blocksize].reshape(-1, 1), self.blocksize, None, None)
        self.active = False  # as PortAudio reports a stream that died

    def stop(self):
        self.active = False
        self._thread.join()

    def close(self):
        self.closed = True


class OutputStream:
    def __init__(self, rate, channels):
        self.rate, self.channels = rate, channels
        self.written: list[np.ndarray] = []
        self.started = self.stopped = self.closed = False

    def start(self):
        self.started = True

    def write(self, samples):
        assert samples.dtype == np.float32 and samples.shape[1] == self.channels
        self.written.append(samples.copy())

    def stop(self):
        self.stopped = True

    def close(self):
        self.closed = True


@pytest.fixture
def standin_card(monkeypatch):
    """Install a StandInCard as the sounddevice module: `standin_card(signal, rate)` returns it."""

    def install(signal: np.ndarray | None = None, rate: int = 16000) -> StandInCard:
        card = StandInCard(signal, rate)
        monkeypatch.setattr("openhear.audio.devices.sounddevice", lambda: card)
        return card

    return install
