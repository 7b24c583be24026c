"""Stateful resampling with soxr: one resampler per stream, so block edges leave no artefacts."""

from __future__ import annotations

import numpy as np
import soxr

from openhear.audio.block import AudioBlock
from openhear.errors import AudioInputError


class StreamResampler:
    """Converts a stream of AudioBlocks to `out_rate` (and optionally to mono) block by block."""

    def __init__(
        self, in_rate: int, out_rate: int, channels: int, to_mono: bool = False, quality: str = "HQ"
    ):
        self.in_rate = in_rate
        self.out_rate = out_rate
        self.channels = 1 if to_mono else channels
        self.to_mono = to_mono
        self._quality = quality
        self.reset()

    def _prepare(self, block: AudioBlock) -> np.ndarray:
        if block.sample_rate != self.in_rate:
            raise ValueError(f"resampler expects {self.in_rate} Hz, got {block.sample_rate} Hz")
        x = block.mono().reshape(-1, 1) if self.to_mono else block.samples
        return np.ascontiguousarray(x, dtype=np.float32)

    def _emit(self, y: np.ndarray) -> AudioBlock:
        y = y.reshape(-1, self.channels)
        out = AudioBlock(y, self.out_rate, self._out_frames / self.out_rate)
        self._out_frames += y.shape[0]
        return out

    def process(self, block: AudioBlock) -> AudioBlock:
        """Resample one block; the output may be a few frames shorter or longer than rate-exact."""
        x = self._prepare(block)
        if self._stream is None:
            return self._emit(x.copy())
        return self._emit(self._stream.resample_chunk(x, last=False))

    def flush(self) -> AudioBlock:
        """Return the samples still held inside the filter at the end of the stream."""
        if self._stream is None:
            return self._emit(np.zeros((0, self.channels), np.float32))
        return self._emit(
            self._stream.resample_chunk(np.zeros((0, self.channels), np.float32), last=True)
        )

    def reset(self) -> None:
        """Start a new stream."""
        self._out_frames = 0
        self._stream = (
            None
            if self.in_rate == self.out_rate
            else soxr.ResampleStream(
                self.in_rate, self.out_rate, self.channels, dtype="float32", quality=self._quality
            )
        )


def resample(samples: np.ndarray, in_rate: int, out_rate: int) -> np.ndarray:
    """Resample a whole array (frames[, channels]) at once."""
    if in_rate == out_rate:
        return np.asarray(samples, dtype=np.float32)
    return soxr.resample(
        np.asarray(samples, dtype=np.float32), in_rate, out_rate, quality="HQ"
    ).astype(np.float32)


class MonoInput:
    """A stream of blocks in any rate and channel count, fixed by its first block, as mono float32
    samples at `out_rate` (resampled once, statefully). A block in another format is an
    AudioInputError: a stream cannot change format half-way."""

    def __init__(self, out_rate: int):
        self.out_rate = out_rate
        self._resampler: StreamResampler | None = None
        self._format: tuple[int, int] | None = None

    def process(self, block: AudioBlock) -> np.ndarray:
        """The block's samples, mono at `out_rate`."""
        fmt = (block.sample_rate, block.channels)
        resampler = self._resampler
        if resampler is None or self._format is None:
            self._format = fmt
            resampler = StreamResampler(fmt[0], self.out_rate, fmt[1], to_mono=True)
            self._resampler = resampler
        elif fmt != self._format:
            raise AudioInputError(
                f"audio format changed mid-stream ({self._format[0]} Hz x{self._format[1]} "
                f"to {fmt[0]} Hz x{fmt[1]})"
            )
        return resampler.process(block).samples[:, 0]

    def flush(self) -> np.ndarray:
        """The samples still held in the resampler at the end of the stream (none before any)."""
        if self._resampler is None:
            return np.zeros(0, np.float32)
        return self._resampler.flush().samples[:, 0]
