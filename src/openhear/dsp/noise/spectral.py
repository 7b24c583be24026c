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
    """Minimum-statistics Wiener suppressor with a gain floor (a Processor)."""

    def __init__(self, atten_lim_db: float):
        self.gain_floor = float(10.0 ** (-atten_lim_db / 20.0))
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
        self._window = np.hanning(d.nfft + 2)[1:-1].astype(np.float32)
        self._taper = np.hanning(taps + 2)[1:-1]
        self._ramp = (np.arange(1, d.hop + 1) / d.hop).astype(np.float32)
        self._history = np.zeros(d.nfft + taps - 1, np.float32)  # latest input samples, oldest first
        self._bins = d.nfft // 2 + 1
        self.reset()

    def reset(self) -> None:
        d = self._design
        taps = 2 * d.half + 1
        self._history[:] = 0.0
        self._since_update = 0
        self._frames_seen = 0
        self._smoothed = np.zeros(self._bins)
        self._sub_min = np.full(self._bins, np.inf)
        self._sub_mins = np.full((MINIMUM_SUBWINDOWS, self._bins), np.inf)
        self._sub_count = 0
        self._prev_clean = np.zeros(self._bins)
        identity = np.zeros(taps, np.float32)
        identity[d.half] = 1.0
        self._fir_old = identity
        self._fir_new = identity.copy()

    def process(self, block: np.ndarray) -> np.ndarray:
        x = np.asarray(block, np.float32)
        out = np.empty(len(x), np.float32)
        hop, done = self._design.hop, 0
        while done < len(x):
            n = min(len(x) - done, hop - self._since_update)
            out[done : done + n] = self._filter(x[done : done + n])
            done += n
            self._since_update += n
            if self._since_update == hop:
                self._fir_old = self._fir_new
                self._fir_new = self._update_fir()
                self._since_update = 0
        return out

    def _filter(self, seg: np.ndarray) -> np.ndarray:
        """Filter new samples, crossfading from the old FIR to the new one across the hop."""
        taps = len(self._fir_new)
        h = self._history
        h[: -len(seg)] = h[len(seg) :]
        h[-len(seg) :] = seg
        span = h[-(len(seg) + taps - 1) :]
        new = np.convolve(span, self._fir_new, "valid")
        if self._fir_old is self._fir_new:
            return new
        old = np.convolve(span, self._fir_old, "valid")
        r = self._ramp[self._since_update : self._since_update + len(seg)]
        return old + r * (new - old)

    def _update_fir(self) -> np.ndarray:
        """New gains from the latest analysis window, as a linear-phase FIR."""
        d = self._design
        spectrum = np.fft.rfft(self._history[-d.nfft :] * self._window)
        power = spectrum.real**2 + spectrum.imag**2
        self._frames_seen += 1
        a = d.smoothing if self._frames_seen > 1 else 0.0
        self._smoothed = a * self._smoothed + (1.0 - a) * power
        noise = self._track_minimum(self._smoothed) * NOISE_BIAS + 1e-20
        gamma = power / noise
        xi = d.dd_alpha * self._prev_clean / noise + (1.0 - d.dd_alpha) * np.maximum(gamma - 1.0, 0.0)
        gain = np.maximum(xi / (1.0 + xi), self.gain_floor)
        self._prev_clean = gain**2 * power
        impulse = np.fft.irfft(gain, d.nfft)
        fir = np.concatenate([impulse[-d.half :], impulse[: d.half + 1]]) * self._taper
        return fir.astype(np.float32)

    def _track_minimum(self, smoothed: np.ndarray) -> np.ndarray:
        """Minimum of the smoothed power over the last MINIMUM_WINDOW_S, in O(bins) per hop."""
        np.minimum(self._sub_min, smoothed, out=self._sub_min)
        self._sub_count += 1
        if self._sub_count == self._design.subwindow_hops:
            self._sub_mins[:-1] = self._sub_mins[1:]
            self._sub_mins[-1] = self._sub_min
            self._sub_min = np.full(self._bins, np.inf)
            self._sub_count = 0
        return np.minimum(self._sub_mins.min(axis=0), self._sub_min)
