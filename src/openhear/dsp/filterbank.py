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

from openhear.dsp.fft import irfft_rows, rfft_rows

FRAME_MS = 4.0
"""Analysis frame length; the algorithmic delay is one frame less one sample."""
HOPS_PER_FRAME = 4


class DftFilterbank:
    """Analysis into frames of spectra and synthesis back into exactly as
    many samples as came in."""

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
        window = np.sqrt(
            0.5 - 0.5 * np.cos(2 * np.pi * np.arange(self.frame_length) / self.frame_length)
        )
        self._analysis = window.astype(np.float32)
        self.window_power = float(np.mean(window**2))
        """Mean square of the analysis window (scales |X|^2 into mean-square signal power)."""
        # sqrt-Hann twice is a Hann window; Hann windows a quarter frame apart sum to 2.
        self._synthesis = (window / 2.0).astype(np.float32)
        self.prepare(0)
        self.reset()

    def prepare(self, max_block_frames: int) -> None:
        """Allocate the work buffers for blocks of up to `max_block_frames` samples."""
        self.max_frames = (max_block_frames + self.hop - 1) // self.hop
        """The most frames one block of `max_block_frames` can complete."""
        self._max_block = max_block_frames
        self._input = np.zeros(self.frame_length - 1 + max_block_frames, np.float32)
        # numpy buffers a ufunc whose operands are broadcast or strided, so the windows are tiled to
        # one row per frame and every operation below runs on contiguous rows of the same shape.
        self._analysis_rows = np.tile(self._analysis, (self.max_frames, 1))
        self._synthesis_rows = np.tile(self._synthesis, (self.max_frames, 1))
        self._windowed = np.zeros((self.max_frames, self.frame_length), np.float32)
        self._windowed64 = np.zeros((self.max_frames, self.frame_length))
        self._spectra64 = np.zeros((self.max_frames, self.n_bins), np.complex128)
        self._spectra = np.zeros((self.max_frames, self.n_bins), np.complex64)
        self._frames = np.zeros((self.max_frames, self.frame_length), np.float32)
        self._hop_rows = np.zeros(self.max_frames * self.hop, np.float32)
        self._acc = np.zeros((self.max_frames + HOPS_PER_FRAME - 1) * self.hop, np.float32)
        self._out = np.zeros(self.hop - 1 + self.max_frames * self.hop, np.float32)

    def reset(self) -> None:
        """Forget all input and output held inside."""
        self._history = np.zeros(self.frame_length - 1, np.float32)
        self._history_len = self.frame_length - self.hop
        self._tail = np.zeros(self.frame_length - self.hop, np.float32)
        self._pending = np.zeros(self.hop - 1, np.float32)
        self._pending_len = self.hop - 1

    def analyze(self, block: np.ndarray) -> np.ndarray:
        """Spectra (frames, bins) of every frame this block completes (possibly none): a view of a
        buffer of this filterbank, valid until the next call. No allocation for prepared block
        sizes."""
        n = len(block)
        if n > self._max_block:  # larger than prepared: allocates once (not for the audio thread)
            self.prepare(n)
        h = self._history_len
        buf = self._input
        buf[:h] = self._history[:h]
        buf[h : h + n] = block
        total = h + n
        n_frames = (total - (self.frame_length - self.hop)) // self.hop
        self._history_len = total - n_frames * self.hop
        self._history[: self._history_len] = buf[n_frames * self.hop : total]
        spectra = self._spectra[:n_frames]
        if n_frames == 0:
            return spectra
        hop = self.hop
        windowed = self._windowed[:n_frames]
        for q in range(
            HOPS_PER_FRAME
        ):  # hop q of every frame (copies, unlike ufuncs, need no buffer)
            windowed[:, q * hop : (q + 1) * hop] = buf[q * hop : (q + n_frames) * hop].reshape(
                n_frames, hop
            )
        windowed *= self._analysis_rows[:n_frames]
        # transformed in float64, as np.fft.rfft does with float32 frames
        windowed64 = self._windowed64[:n_frames]
        windowed64[:] = windowed
        spectra[:] = rfft_rows(windowed64, self._spectra64[:n_frames])
        return spectra

    def synthesize(self, spectra: np.ndarray, n_out: int) -> np.ndarray:
        """Overlap-add the (changed) spectra from the last `analyze` and return `n_out` samples (a
        view of a buffer of this filterbank, valid until the next call)."""
        n_frames = spectra.shape[0]
        p = self._pending_len
        out = self._out
        out[:p] = self._pending[:p]
        if n_frames:
            frames = irfft_rows(spectra, self.frame_length, self._frames[:n_frames])  # in float32
            frames *= self._synthesis_rows[:n_frames]
            hop = self.hop
            acc = self._acc[: (n_frames + HOPS_PER_FRAME - 1) * hop]
            acc[: len(self._tail)] = self._tail
            acc[len(self._tail) :] = 0.0
            hop_q = self._hop_rows[: n_frames * hop]
            for q in range(
                HOPS_PER_FRAME
            ):  # hop q of every frame, gathered into one contiguous row first
                hop_q.reshape(n_frames, hop)[:] = frames[:, q * hop : (q + 1) * hop]
                acc[q * hop : (q + n_frames) * hop] += hop_q
            self._tail[:] = acc[n_frames * hop :]
            out[p : p + n_frames * hop] = acc[: n_frames * hop]
        total = p + n_frames * self.hop
        self._pending_len = total - n_out
        self._pending[: self._pending_len] = out[n_out:total]
        return out[:n_out]
