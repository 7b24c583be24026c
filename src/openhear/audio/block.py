"""AudioBlock: samples that always travel with their sample rate and start time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AudioBlock:
    """A block of audio: float32 samples shaped [frames, channels] in [-1, 1] full scale."""

    samples: np.ndarray
    """float32 array of shape (frames, channels)."""
    sample_rate: int
    """Samples per second per channel."""
    start_s: float = 0.0
    """Time of the first frame, in seconds from the start of the stream."""

    def __post_init__(self) -> None:
        if self.samples.ndim != 2:
            raise ValueError(
                f"AudioBlock samples must be 2-D (frames, channels), got shape {self.samples.shape}"
            )
        if self.sample_rate <= 0:
            raise ValueError(f"sample rate must be positive, got {self.sample_rate}")

    @classmethod
    def from_mono(cls, samples: np.ndarray, sample_rate: int, start_s: float = 0.0) -> AudioBlock:
        """Wrap a 1-D mono array."""
        return cls(np.asarray(samples, dtype=np.float32).reshape(-1, 1), sample_rate, start_s)

    @property
    def frames(self) -> int:
        """Number of frames (samples per channel)."""
        return self.samples.shape[0]

    @property
    def channels(self) -> int:
        """Number of channels."""
        return self.samples.shape[1]

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate

    @property
    def end_s(self) -> float:
        """Time just after the last frame."""
        return self.start_s + self.duration_s

    def mono(self) -> np.ndarray:
        """The channels averaged to one 1-D float32 array."""
        if self.channels == 1:
            return self.samples[:, 0]
        return self.samples.mean(axis=1, dtype=np.float32)
