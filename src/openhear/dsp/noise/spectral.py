"""A light, low-delay spectral noise suppressor (numpy only).

Gains are estimated on a long analysis window but applied with a short linear-phase FIR, so the
frequency resolution of the estimate does not cost delay (the "filter-bank equaliser" idea of
Loellmann and Vary 2007). Every hop (about 3 ms):

1. the power spectrum of the last ~16 ms of input (Hann window) is smoothed over time;
2. the noise power per bin is the minimum of that smoothed power over the last ~1.5 s, times a
   bias factor (minimum statistics, Martin 2001, with Martin's sub-window trick so the minimum
   costs O(bins) per hop);
3. the a-priori SNR follows the decision-directed rule (Ephraim and Malah 1984) and the Wiener gain
   xi / (1 + xi) is floored at the attenuation limit: pure noise is never attenuated by more;
4. the gain curve becomes a (2M+1)-tap zero-phase FIR (inverse FFT, Hann-windowed, which also
   smooths the gains across frequency) delayed by M samples (M = 1 ms, so that with the chain's
   4 ms filterbank the low-latency chain stays within 5 ms).

Samples are filtered as they arrive (no frame buffering), crossfading from the previous hop's FIR to
the new one over each hop, so the output is click-free, independent of block sizes, and delayed by
exactly M samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from openhear.dsp.fft import irfft_rows, rfft_rows
from openhear.units import db_to_gain

ANALYSIS_MS = 16.0
FILTER_HALF_MS = 1.0
HOPS_PER_WINDOW = 4
SMOOTHING_MS = 20.0
MINIMUM_WINDOW_S = 1.5
MINIMUM_SUBWINDOWS = 8
NOISE_BIAS = 1.5
"""Minimum statistics underestimates the mean noise power; this factor undoes most of that."""
DECISION_DIRECTED_ALPHA_10MS = 0.98
"""Weight of the previous frame's clean-speech estimate per 10 ms (Ephraim and Malah's value)."""


@dataclass(frozen=True)
class SpectralDesign:
    """Sizes derived once from the sample rate."""

    nfft: int
    """Analysis window length (a power of two, about ANALYSIS_MS)."""
    hop: int
    """Samples between gain updates."""
    half: int
    """FIR half-length M: the delay in samples."""
    smoothing: float
    """Per-hop weight of the previous smoothed power."""
    dd_alpha: float
    """Per-hop decision-directed weight."""
    subwindow_hops: int
    """Hops per minimum-statistics sub-window."""

    @classmethod
    def for_rate(cls, sample_rate: int) -> SpectralDesign:
        nfft = 1 << int(round(np.log2(ANALYSIS_MS * sample_rate / 1000.0)))
        hop = nfft // HOPS_PER_WINDOW
        hop_s = hop / sample_rate
        return cls(
            nfft=nfft,
            hop=hop,
            half=int(round(FILTER_HALF_MS * sample_rate / 1000.0)),
            smoothing=float(np.exp(-hop_s / (SMOOTHING_MS / 1000.0))),
            dd_alpha=float(DECISION_DIRECTED_ALPHA_10MS ** (hop_s / 0.010)),
            subwindow_hops=max(1, int(round(MINIMUM_WINDOW_S / hop_s / MINIMUM_SUBWINDOWS))),
        )


class SpectralSuppressor:
    """Minimum-statistics Wiener suppressor with a gain floor (a Processor).

    After `prepare`, `process` allocates nothing (every step writes into buffers made there), so it
    may run on the audio thread: the input history is a mirrored ring (each sample is written twice,
    so the latest samples are always one contiguous slice) and the two FIRs are swapped buffers."""

    def __init__(self, atten_lim_db: float):
        self.gain_floor = db_to_gain(-atten_lim_db)
        """Smallest gain any bin gets: the attenuation limit as a linear factor."""
        self.latency_frames = 0
        self.sample_rate = 0

    @property
    def latency_ms(self) -> float:
        """The delay this stage adds, in milliseconds."""
        return 1000.0 * self.latency_frames / self.sample_rate if self.sample_rate else 0.0

    def prepare(self, sample_rate: int, max_block_frames: int) -> None:
        d = self._design = SpectralDesign.for_rate(sample_rate)
        self.sample_rate = sample_rate
        self.latency_frames = d.half
        taps = 2 * d.half + 1
        bins = d.nfft // 2 + 1
        self._span = d.nfft + taps - 1
        self._window = np.hanning(d.nfft + 2)[1:-1]
        self._taper = np.hanning(taps + 2)[1:-1]
        self._ramp = (np.arange(1, d.hop + 1) / d.hop).astype(np.float32)
        self._ring = np.zeros(2 * self._span, np.float32)
        """The latest `_span` input samples, oldest first, are `_ring[_write : _write + _span]`."""
        self._ring_windows = sliding_window_view(self._ring, taps)
        self._out = np.zeros(max_block_frames, np.float32)
        self._old_part = np.zeros(d.hop, np.float32)
        self._firs = (np.zeros(taps, np.float32), np.zeros(taps, np.float32))
        """Time-reversed FIRs (so that filtering is a matrix product): the
        current and the previous."""
        self._windowed = np.zeros(d.nfft)
        self._spectrum = np.zeros(bins, np.complex128)
        self._power = np.zeros(bins)
        self._squares = np.zeros(bins)
        self._scratch64 = np.zeros(bins)
        self._noise = np.zeros(bins)
        self._xi = np.zeros(bins)
        self._gain = np.zeros(bins)
        self._gain_complex = np.zeros(bins, np.complex128)
        self._impulse = np.zeros(d.nfft)
        self._fir64 = np.zeros(taps)
        self._smoothed = np.zeros(bins)
        self._sub_min = np.zeros(bins)
        self._sub_mins = np.zeros((MINIMUM_SUBWINDOWS, bins))
        self._prev_clean = np.zeros(bins)
        self.reset()

    def reset(self) -> None:
        half = self._design.half
        self._ring[:] = 0.0
        self._write = 0
        self._since_update = 0
        self._frames_seen = 0
        self._smoothed[:] = 0.0
        self._sub_min[:] = np.inf
        self._sub_mins[:] = np.inf
        self._sub_next = 0
        self._sub_count = 0
        self._prev_clean[:] = 0.0
        for fir in self._firs:
            fir[:] = 0.0
            fir[half] = 1.0
        self._fir_old, self._fir_new = self._firs

    def process(self, block: np.ndarray) -> np.ndarray:
        """The filtered block: a view of a buffer of this suppressor, valid until the next call."""
        x = np.asarray(block, np.float32)
        if len(x) > len(self._out):
            self._out = np.zeros(
                len(x), np.float32
            )  # larger than prepared: allocates once (not for the audio thread)
        out = self._out[: len(x)]
        hop, done = self._design.hop, 0
        while done < len(x):
            n = min(len(x) - done, hop - self._since_update)
            self._filter(x[done : done + n], out[done : done + n])
            done += n
            self._since_update += n
            if self._since_update == hop:
                self._fir_old, self._fir_new = self._fir_new, self._fir_old
                self._update_fir(self._fir_new)
                self._since_update = 0
        return out

    def _latest(self, n: int) -> np.ndarray:
        """The latest `n` input samples (n <= `_span`), oldest first: a view."""
        end = self._write + self._span
        return self._ring[end - n : end]

    def _filter(self, seg: np.ndarray, out: np.ndarray) -> None:
        """Filter new samples into `out`, crossfading from the old FIR to the
        new one across the hop."""
        n, span, w = len(seg), self._span, self._write
        first = min(n, span - w)
        self._ring[w : w + first] = seg[:first]
        self._ring[w + span : w + span + first] = seg[:first]
        self._ring[: n - first] = seg[first:]
        self._ring[span : span + n - first] = seg[first:]
        self._write = (w + n) % span
        start = self._write + self._span - (n + len(self._fir_new) - 1)
        windows = self._ring_windows[start : start + n]  # row k: the input under output sample k
        np.matmul(windows, self._fir_new, out=out)
        old = np.matmul(windows, self._fir_old, out=self._old_part[:n])
        out -= old
        out *= self._ramp[self._since_update : self._since_update + n]
        out += old

    def _update_fir(self, fir: np.ndarray) -> None:
        """New gains from the latest analysis window, written to `fir` as a
        time-reversed linear-phase FIR."""
        d = self._design
        windowed = self._windowed
        windowed[:] = self._latest(
            d.nfft
        )  # float64 throughout: numpy's float32 FFT allocates a work buffer
        windowed *= self._window
        rfft_rows(windowed, self._spectrum)
        power = np.square(self._spectrum.real, out=self._power)
        power += np.square(self._spectrum.imag, out=self._squares)
        self._frames_seen += 1
        a = d.smoothing if self._frames_seen > 1 else 0.0
        self._smoothed *= a
        self._smoothed += np.multiply(power, 1.0 - a, out=self._squares)
        noise = self._track_minimum(self._smoothed)
        noise *= NOISE_BIAS
        noise += 1e-20
        xi, scratch = self._xi, self._scratch64
        np.divide(power, noise, out=scratch)  # gamma, the a-posteriori SNR
        scratch -= 1.0
        np.maximum(scratch, 0.0, out=scratch)
        scratch *= 1.0 - d.dd_alpha
        np.multiply(self._prev_clean, d.dd_alpha, out=xi)
        xi /= noise
        xi += scratch
        gain = np.divide(xi, np.add(xi, 1.0, out=scratch), out=self._gain)
        np.maximum(gain, self.gain_floor, out=gain)
        np.square(gain, out=self._prev_clean)
        self._prev_clean *= power
        self._gain_complex.real = gain
        impulse = irfft_rows(self._gain_complex, d.nfft, self._impulse)
        fir64 = self._fir64
        fir64[: d.half] = impulse[-d.half :]
        fir64[d.half :] = impulse[: d.half + 1]
        fir64 *= self._taper
        fir[:] = fir64[::-1]

    def _track_minimum(self, smoothed: np.ndarray) -> np.ndarray:
        """Minimum of the smoothed power over the last MINIMUM_WINDOW_S, in
        O(bins) per hop (a buffer)."""
        np.minimum(self._sub_min, smoothed, out=self._sub_min)
        self._sub_count += 1
        if self._sub_count == self._design.subwindow_hops:
            self._sub_mins[self._sub_next] = self._sub_min
            self._sub_next = (self._sub_next + 1) % MINIMUM_SUBWINDOWS
            self._sub_min[:] = np.inf
            self._sub_count = 0
        np.min(self._sub_mins, axis=0, out=self._noise)
        return np.minimum(self._noise, self._sub_min, out=self._noise)
