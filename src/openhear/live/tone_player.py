"""The hearing check's tone player: stereo buffers played from an output stream's callback, with
a stop that silences at once.

The control thread makes each tone whole (`dsp.tones`) and hands it over with `play`, which swaps
one reference; the callback (PortAudio's audio thread) only copies the next frames of whatever it
finds there into the output block, and zeros after it. `silence` drops the reference, so the next
block is silent: at most one block (256 frames, about 5 ms) after the call, from any thread.
`fade_out` ends a tone gently instead: a raised-cosine fall over `FADE_S` from the next block.
"""

from __future__ import annotations

import time

import numpy as np

from openhear.audio.devices import open_stream, require_device, start_stream
from openhear.dsp.tones import raised_cosine_ramp
from openhear.errors import DeviceError

DEFAULT_RATE = 48000
"""The rate asked of the device: 8 kHz tones need more than 16 kHz, and 48 kHz is universal."""
BLOCK_FRAMES = 256
"""Frames per callback: how late a `silence` can take effect (5.3 ms at 48 kHz)."""
FADE_S = 0.025
"""Length of the fall `fade_out` puts on a tone."""


class _Playing:
    """One buffer being played, and how far; only the callback moves `position`."""

    __slots__ = ("samples", "position", "fade_requested", "fade_at")

    def __init__(self, samples: np.ndarray) -> None:
        self.samples, self.position = samples, 0
        self.fade_requested = False
        self.fade_at = -1
        """The position where the fade began (set by the callback)."""


class TonePlayer:
    """Stereo tones on the output device. `start` before playing, `close` at the end."""

    def __init__(self, device: int | str | None = None, sample_rate: int | None = None) -> None:
        info = require_device("output", device)
        if info.get("max_output_channels", 0) < 2:
            raise DeviceError(
                f"device {info.get('name', device)!r} has one output channel; the hearing check "
                "needs stereo headphones to test each ear alone"
            )
        self.sample_rate = int(sample_rate or DEFAULT_RATE)
        self._playing: _Playing | None = None
        fall = raised_cosine_ramp(round(FADE_S * self.sample_rate))[::-1]
        self._fall = fall.astype(np.float32).reshape(-1, 1)
        self.stream = open_stream(
            "OutputStream",
            f"the headphones at {self.sample_rate} Hz",
            samplerate=self.sample_rate,
            channels=2,
            dtype="float32",
            device=device,
            blocksize=BLOCK_FRAMES,
            callback=self._callback,
        )

    @property
    def latency_s(self) -> float:
        """Time from handing samples to the device to hearing them (the stream's output latency)."""
        latency = getattr(self.stream, "latency", 0.0)
        return float(latency[1] if isinstance(latency, tuple) else latency or 0.0)

    def start(self) -> None:
        start_stream(self.stream, "the headphones")

    def play(self, samples: np.ndarray) -> None:
        """Play frames x 2 float32 samples from the next block on (replacing anything playing)."""
        samples = np.ascontiguousarray(samples, np.float32)
        if samples.ndim != 2 or samples.shape[1] != 2 or not np.all(np.isfinite(samples)):
            raise ValueError("the tone player takes finite stereo samples")
        self._playing = _Playing(samples)

    def silence(self) -> None:
        """Stop any sound now (safe from any thread, e.g. a key reader's)."""
        self._playing = None

    def fade_out(self) -> None:
        """End the tone with a short raised-cosine fall (no click) from the next block, and return
        once it has played (or after half a second, if the device has stopped asking)."""
        p = self._playing
        if p is None:
            return
        p.fade_requested = True
        deadline = time.monotonic() + 0.5
        while self.playing and time.monotonic() < deadline:
            time.sleep(0.005)

    @property
    def playing(self) -> bool:
        p = self._playing
        return p is not None and p.position < len(p.samples)

    def close(self) -> None:
        self.silence()
        try:
            self.stream.stop()
        finally:
            self.stream.close()

    def _callback(self, outdata: np.ndarray, frames: int, stamps: object, status: object) -> None:
        p = self._playing  # one read: `play` and `silence` swap the reference whole
        n = 0 if p is None else min(frames, len(p.samples) - p.position)
        if p is not None and n > 0:
            outdata[:n] = p.samples[p.position : p.position + n]
            if p.fade_requested:
                if p.fade_at < 0:
                    p.fade_at = p.position
                done = p.position - p.fade_at
                fall = len(self._fall)
                if done >= fall:
                    n, p.position = 0, len(p.samples)
                else:
                    n = min(n, fall - done)
                    outdata[:n] *= self._fall[done : done + n]
            p.position += n
        outdata[max(n, 0) :] = 0.0
