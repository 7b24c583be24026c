"""A low-delay uniform DFT filterbank (weighted overlap-add) for blocks of any length.

Frames of N = 4 ms (rounded to 4 hops) are taken every hop R = N / 4 with a square-root Hann window,
transformed with a real FFT (N / 2 + 1 bins about 250 Hz apart: a short-FIR filterbank), and, after
the caller has changed the spectra, transformed back, windowed again and overlap-added. With
unchanged spectra the output is the input delayed by exactly N - 1 samples (`latency_frames`), for
any sequence of block lengths: input waits in a history buffer until a hop is complete and output
leaves through a queue that starts with R - 1 zeros, so the same samples come out whatever the block
sizes (streaming equals whole-file processing).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

FRAME_MS = 4.0
"""Analysis frame length; the algorithmic delay is one frame less one sample."""
HOPS_PER_FRAME = 4


class DftFilterbank:
    """Analysis into frames of spectra and synthesis back into exactly as many samples as came in."""

    def __init__(self, sample_rate: int, frame_ms: float = FRAME_MS):
        self.sample_rate = sample_rate
        self.hop = max(2, round(sample_rate * frame_ms / 1000.0 / HOPS_PER_FRAME))
        """Samples between frames (R)."""
        self.frame_length = self.hop * HOPS_PER_FRAME
        """Samples per frame (N)."""
        self.n_bins = self.frame_length // 2 + 1
        self.bin_hz = np.fft.rfftfreq(self.frame_length, 1.0 / sample_rate)
        """Centre frequency of every bin."""
        self.latency_frames = self.frame_length - 1
        """Delay from input to output in samples."""
        window = np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(self.frame_length) / self.frame_length))
        self._analysis = window.astype(np.float32)
        self.window_power = float(np.mean(window**2))
        """Mean square of the analysis window (scales |X|^2 into mean-square signal power)."""
        # sqrt-Hann twice is a Hann window; Hann windows a quarter frame apart sum to 2.
        self._synthesis = (window / 2.0).astype(np.float32)
        self.reset()

    def reset(self) -> None:
        """Forget all input and output held inside."""
        self._history = np.zeros(self.frame_length - self.hop, np.float32)
        self._tail = np.zeros(self.frame_length - self.hop, np.float32)
        self._pending = np.zeros(self.hop - 1, np.float32)

    def analyze(self, block: np.ndarray) -> np.ndarray:
        """Spectra (frames, bins) of every frame this block completes (possibly none)."""
        buf = np.concatenate([self._history, np.asarray(block, np.float32)])
        n_frames = (len(buf) - (self.frame_length - self.hop)) // self.hop
        self._history = buf[n_frames * self.hop:]
        if n_frames == 0:
            return np.zeros((0, self.n_bins), np.complex64)
        step = buf.strides[0]
        frames = as_strided(buf, (n_frames, self.frame_length), (self.hop * step, step), writeable=False)
        frames = frames * self._analysis
        return np.fft.rfft(frames, axis=1)

    def synthesize(self, spectra: np.ndarray, n_out: int) -> np.ndarray:
        """Overlap-add the (changed) spectra from the last `analyze` and return `n_out` samples."""
        n_frames = spectra.shape[0]
        if n_frames:
            frames = np.fft.irfft(spectra, n=self.frame_length, axis=1).astype(np.float32) * self._synthesis
            hop = self.hop
            acc = np.zeros((n_frames + HOPS_PER_FRAME - 1) * hop, np.float32)
            acc[: len(self._tail)] = self._tail
            for q in range(HOPS_PER_FRAME):
                acc[q * hop: (q + n_frames) * hop] += frames[:, q * hop: (q + 1) * hop].reshape(-1)
            self._tail = acc[n_frames * hop:]
            out = np.concatenate([self._pending, acc[: n_frames * hop]])
        else:
            out = self._pending
        self._pending = out[n_out:]
        return out[:n_out]
