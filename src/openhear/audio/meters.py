"""Level meters cheap enough for the audio callback: running RMS and peak per channel, no
allocation.

`StereoMeter.measure` runs on the audio thread and only writes into arrays made in `__init__`;
`read` (any other thread) converts a copy of them to dBFS. A torn read shows one meter a block
newer than the other, which no one can see.
"""

from __future__ import annotations

import math

import numpy as np

from openhear.units import db_to_gain

FLOOR_DBFS = -80.0
"""Level shown for silence."""
RMS_TIME_MS = 300.0
"""Time constant of the running RMS (a VU-like meter)."""
PEAK_FALL_DB_PER_S = 20.0
"""How fast the held peak falls back."""


def dbfs(mean_square: float) -> float:
    """A mean square (full scale 1.0) in dBFS, never below FLOOR_DBFS."""
    return max(FLOOR_DBFS, 10 * math.log10(mean_square)) if mean_square > 0 else FLOOR_DBFS


class StereoMeter:
    """Running mean square and falling peak of each channel of (frames, channels) blocks."""

    def __init__(self, sample_rate: int, block_frames: int, max_frames: int, channels: int = 2):
        blocks_per_s = sample_rate / block_frames
        self._rms_gain = 1 - np.float32(math.exp(-1000.0 / (RMS_TIME_MS * blocks_per_s)))
        """Weight of each new block's mean square (made here, not on the audio thread)."""
        self._peak_keep = np.float32(db_to_gain(-PEAK_FALL_DB_PER_S / blocks_per_s))
        self._scratch = np.zeros((max_frames, channels), np.float32)
        self._block = np.zeros(channels, np.float32)
        self.mean_square = np.zeros(channels, np.float32)
        """Running mean square per channel (written by the audio thread)."""
        self.peak = np.zeros(channels, np.float32)
        """Held peak magnitude per channel (written by the audio thread)."""

    def measure(self, samples: np.ndarray) -> None:
        """Fold one block into the meters (audio thread: in place only)."""
        frames = samples.shape[0]
        block, scratch = self._block, self._scratch[:frames]
        np.multiply(samples, samples, out=scratch)
        np.mean(scratch, axis=0, out=block)
        np.subtract(block, self.mean_square, out=block)
        np.multiply(block, self._rms_gain, out=block)
        np.add(self.mean_square, block, out=self.mean_square)
        np.abs(samples, out=scratch)
        np.max(scratch, axis=0, out=block)
        np.multiply(self.peak, self._peak_keep, out=self.peak)
        np.maximum(self.peak, block, out=self.peak)

    def read(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """(RMS dBFS per channel, peak dBFS per channel), rounded to 0.1 dB."""
        mean_square, peak = self.mean_square.copy(), self.peak.copy()
        return (
            tuple(round(dbfs(float(m)), 1) for m in mean_square),
            tuple(round(dbfs(float(p) ** 2), 1) for p in peak),
        )
