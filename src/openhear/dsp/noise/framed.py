"""Run a fixed-frame, fixed-rate suppressor model on blocks of any length at any sample rate.

Neural suppressors (DeepFilterNet3, RNNoise) consume 480-sample frames at 48 kHz. `FramedSuppressor`
resamples the stream to the model rate with soxr (one stateful resampler each way), cuts it into
frames, and returns exactly as many samples as it was given by reading from an output FIFO that
starts with `prefill` zeros. The prefill is the largest number of samples the resamplers and the
frame buffer can hold back (measured once per rate pair), so the FIFO never runs dry and the output
is the same whatever the block sizes. The delay it adds is therefore constant and known:
`latency_frames = prefill + model delay` (soxr itself keeps the signal time-aligned).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Protocol

import numpy as np
import soxr

RESAMPLER_QUALITY = "HQ"


class FrameModel(Protocol):
    """One stream's state of a frame-based suppressor running at its own rate."""

    sample_rate: int
    """The only rate the model accepts (Hz)."""
    frame_length: int
    """Samples per call of `process_frame`."""
    delay_frames: int
    """Delay the model adds, in samples at `sample_rate`."""

    def process_frame(self, frame: np.ndarray, out: np.ndarray) -> None:
        """Suppress noise in one float32 frame, writing `frame_length` samples to `out`."""

    def close(self) -> None:
        """Free the native state; the model cannot be used afterwards."""


@cache
def resampler_holdback(in_rate: int, out_rate: int) -> int:
    """The most output samples a soxr stream withholds (fed one sample at a
    time, its worst case)."""
    if in_rate == out_rate:
        return 0
    stream = soxr.ResampleStream(in_rate, out_rate, 1, dtype="float32", quality=RESAMPLER_QUALITY)
    one = np.ones(1, np.float32)
    worst, produced = 0.0, 0
    for fed in range(
        1, 4 * in_rate // 100 + 1
    ):  # 40 ms: the hold-back peaks within the first blocks
        produced += len(stream.resample_chunk(one))
        worst = max(worst, fed * out_rate / in_rate - produced)
    return math.ceil(worst)


class _Fifo:
    """A preallocated first-in first-out sample queue."""

    def __init__(self, capacity: int):
        self._buf = np.zeros(capacity, np.float32)
        self.size = 0

    def push(self, x: np.ndarray) -> None:
        if self.size + len(x) > len(self._buf):
            raise RuntimeError("noise suppressor FIFO overflow: block larger than prepared")
        self._buf[self.size : self.size + len(x)] = x
        self.size += len(x)

    def peek(self, n: int, start: int = 0) -> np.ndarray:
        return self._buf[start : start + n]

    def pop(self, n: int) -> None:
        if n == 0:
            return
        # moved in steps of n samples: no step overlaps itself, so numpy needs no temporary copy
        for start in range(0, self.size - n, n):
            stop = min(start + n, self.size - n)
            self._buf[start:stop] = self._buf[start + n : stop + n]
        self.size -= n

    def clear(self, fill: int = 0) -> None:
        self._buf[:fill] = 0.0
        self.size = fill


class FramedSuppressor:
    """A Processor around a `FrameModel`: any block size, any sample rate, constant reported delay.

    At the model's own rate (48 kHz) `process` allocates no buffers after `prepare` (the model's
    native library aside); at other rates soxr returns a new array for each resampled block."""

    def __init__(
        self,
        open_model: Callable[[], FrameModel],
        model_rate: int,
        frame_length: int,
        model_delay_frames: int,
    ) -> None:
        """`open_model()` returns a fresh `FrameModel` state (called on prepare and on reset)."""
        self._open_model = open_model
        self._model_rate = model_rate
        self._frame_length = frame_length
        self._model_delay = model_delay_frames
        self._model: FrameModel | None = None
        self.sample_rate = 0
        self.latency_frames = 0

    @property
    def latency_ms(self) -> float:
        """The delay this stage adds, in milliseconds."""
        return 1000.0 * self.latency_frames / self.sample_rate if self.sample_rate else 0.0

    def prepare(self, sample_rate: int, max_block_frames: int) -> None:
        self.sample_rate = sample_rate
        ratio = self._model_rate / sample_rate
        hold_up = resampler_holdback(sample_rate, self._model_rate)
        hold_down = resampler_holdback(self._model_rate, sample_rate)
        self._prefill = math.ceil((hold_up + self._frame_length - 1) / ratio + hold_down) + 1
        self.latency_frames = self._prefill + round(self._model_delay / ratio)
        model_block = math.ceil(max_block_frames * ratio) + hold_up + 8
        self._in = _Fifo(model_block + self._frame_length)
        self._out = _Fifo(
            self._prefill
            + max_block_frames
            + math.ceil((model_block + self._frame_length) / ratio)
            + 8
        )
        self._processed = np.zeros(model_block + self._frame_length, np.float32)
        self._block_out = np.zeros(max_block_frames, np.float32)
        self.reset()

    def reset(self) -> None:
        self.close()
        self._model = self._open_model()
        same = self.sample_rate == self._model_rate
        self._up = (
            None
            if same
            else soxr.ResampleStream(
                self.sample_rate, self._model_rate, 1, dtype="float32", quality=RESAMPLER_QUALITY
            )
        )
        self._down = (
            None
            if same
            else soxr.ResampleStream(
                self._model_rate, self.sample_rate, 1, dtype="float32", quality=RESAMPLER_QUALITY
            )
        )
        self._in.clear()
        self._out.clear(self._prefill)

    def process(self, block: np.ndarray) -> np.ndarray:
        if self._model is None:
            raise RuntimeError("noise suppressor used before prepare() or after close()")
        x = np.asarray(block, np.float32)
        self._in.push(x if self._up is None else self._up.resample_chunk(x))
        F = self._frame_length
        n_frames = self._in.size // F
        for i in range(n_frames):
            self._model.process_frame(self._in.peek(F, i * F), self._processed[i * F : (i + 1) * F])
        self._in.pop(n_frames * F)
        done = self._processed[: n_frames * F]
        self._out.push(done if self._down is None else self._down.resample_chunk(done))
        if self._out.size < len(x):
            raise RuntimeError(
                "noise suppressor FIFO underrun: resampler held back more than its measured "
                "worst case"
            )
        y = self._block_out[: len(x)]
        y[:] = self._out.peek(len(x))
        self._out.pop(len(x))
        return y

    def close(self) -> None:
        """Free the model's native state (also done by reset, which opens a fresh one)."""
        if self._model is not None:
            self._model.close()
            self._model = None

    def __del__(self) -> None:
        self.close()
