"""Per-band wide dynamic range compression on filterbank frames.

`WdrcCurves` (rate-independent: what a fitting and the sliders decide) and `WdrcTables` (the same
compiled for one filterbank: bin-to-band matrices, per-frame detector constants) are immutable and
built off the audio thread. `BandCompressor` holds the detector state and turns the band powers of
each frame into band gains.

Level detector per band: the band power (mean square, so a band input level in dB SPL through the
calibration) is smoothed by a one-pole filter with time constant `attack_ms`; the smoothed level
(in dB) may then fall no faster than a one-pole power decay with time constant `release_ms` would
make it (4.3 dB per time constant), so it rises fast and falls slowly. Both steps are vectorised
over the frames of a block (the release hold is a running maximum), so a whole file costs a few
array operations per band rather than a loop per sample.

Static curve per band: gain = gain_at_threshold for levels below the threshold, falling by
(1 - 1/ratio) dB per dB above it, never above `max_gain_db`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

from openhear.dsp.filterbank import DftFilterbank
from openhear.fitting.prescription import MAX_GAIN_DB, EarFitting, band_edges_hz

_LOG10_E_DB = 10.0 * np.log10(np.e)
_FLOOR_POWER = 1e-20
_LOOP_FRAMES = 16
"""Blocks of up to this many frames (16 ms: every live block size) smooth frame by frame, allocating
nothing; longer (file) blocks use lfilter, which gives the same numbers faster but allocates."""


@dataclass(frozen=True, eq=False)
class WdrcCurves:
    """What the compressor of one ear does, independent of sample rate (arrays are read-only)."""

    centers_hz: np.ndarray
    """Band centre frequencies."""
    gain_at_threshold_db: np.ndarray
    """Gain per band for levels at or below the threshold, adjustments included."""
    threshold_db: np.ndarray
    """Compression threshold per band, band input level in dB SPL."""
    slope: np.ndarray
    """1/ratio - 1 per band: gain change per dB of level above the threshold."""
    attack_ms: np.ndarray
    """Detector attack time constant per band."""
    release_ms: np.ndarray
    """Detector release time constant per band."""

    @classmethod
    def from_fitting(cls, fitting: EarFitting, offsets_db: npt.ArrayLike) -> WdrcCurves:
        """The curves of an ear fitting with the sliders' per-band offsets (dB) added."""
        bands = fitting.bands
        slope = np.array([1.0 / b.ratio - 1.0 for b in bands])
        threshold = np.array([b.threshold_db for b in bands])
        reference = np.array([b.reference_db_spl for b in bands])
        gain = np.array([b.gain_db for b in bands]) + np.asarray(offsets_db, float)
        curves = cls(
            centers_hz=fitting.centers_hz,
            gain_at_threshold_db=gain + slope * (threshold - reference),
            threshold_db=threshold,
            slope=slope,
            attack_ms=np.array([b.attack_ms for b in bands]),
            release_ms=np.array([b.release_ms for b in bands]),
        )
        for value in vars(curves).values():
            value.setflags(write=False)
        return curves

    def gains_db(
        self, level_db: np.ndarray, out: np.ndarray | None = None, rows: WdrcRows | None = None
    ) -> np.ndarray:
        """Static gain (dB) for band levels shaped (..., bands), written into `out` when given; with
        `rows` (these curves repeated per frame) for (frames, bands) levels, without
        broadcasting."""
        if rows is None:
            threshold, slope, gain_at_threshold = (
                self.threshold_db,
                self.slope,
                self.gain_at_threshold_db,
            )
        else:
            n = len(level_db)
            threshold, slope, gain_at_threshold = (
                rows.threshold_db[:n],
                rows.slope[:n],
                rows.gain_at_threshold_db[:n],
            )
        above = np.subtract(level_db, threshold, out=out)
        np.maximum(above, 0.0, out=above)
        gain = np.add(np.multiply(above, slope, out=above), gain_at_threshold, out=above)
        return np.minimum(gain, MAX_GAIN_DB, out=gain)


@dataclass(frozen=True, eq=False)
class WdrcRows:
    """Per-band constants of `WdrcTables` repeated for every frame of the largest block: numpy
    allocates an iterator buffer for each ufunc that broadcasts, so per-block arithmetic runs on
    equal shapes."""

    threshold_db: np.ndarray
    slope: np.ndarray
    gain_at_threshold_db: np.ndarray
    release_fall_db: np.ndarray
    """Row k: how far the held level may fall in k + 1 frames."""


@dataclass(frozen=True, eq=False)
class WdrcTables:
    """Curves compiled for one filterbank geometry (sample rate, hop, bins)."""

    curves: WdrcCurves
    power_matrix: np.ndarray
    """(bins, bands): sums |X|^2 of each band's bins into a mean-square band power."""
    gain_matrix: np.ndarray
    """(bands, bins): spreads band gains over bins, linear in log frequency between centres."""
    attack_coef: np.ndarray
    """One-pole smoothing coefficient per frame, per band."""
    attack_complement: np.ndarray
    """1 - attack_coef: the weight of each new frame's power."""
    attack_groups: tuple[tuple[float, np.ndarray], ...]
    """(coefficient, band indices) for each distinct attack time (to filter bands
    sharing one at once)."""
    release_db_per_frame: np.ndarray
    """How far the held level may fall per frame, per band."""

    @classmethod
    def compile(cls, curves: WdrcCurves, filterbank: DftFilterbank) -> WdrcTables:
        """Matrices and per-frame constants for this filterbank's bins, frame and hop."""
        bin_hz, frame_length, sample_rate = (
            filterbank.bin_hz,
            filterbank.frame_length,
            filterbank.sample_rate,
        )
        edges = band_edges_hz(curves.centers_hz)[1:-1]
        band_of_bin = np.searchsorted(edges, bin_hz)
        one_sided = np.where((bin_hz > 0) & (bin_hz < sample_rate / 2), 2.0, 1.0)
        power = np.zeros((len(bin_hz), len(curves.centers_hz)), np.float32)
        power[np.arange(len(bin_hz)), band_of_bin] = one_sided / (
            frame_length**2 * filterbank.window_power
        )

        logf = np.log(np.maximum(bin_hz, 1.0))
        logc = np.log(curves.centers_hz)
        gain = np.zeros((len(curves.centers_hz), len(bin_hz)), np.float32)
        for b in range(len(logc)):
            unit = np.zeros(len(logc))
            unit[b] = 1.0
            gain[b] = np.interp(logf, logc, unit)
        frame_s = filterbank.hop / sample_rate
        coef = np.exp(-frame_s / (curves.attack_ms / 1000.0))
        groups = tuple((float(c), np.flatnonzero(coef == c)) for c in np.unique(coef))
        release = _LOG10_E_DB * frame_s / (curves.release_ms / 1000.0)
        complement = 1.0 - coef
        for value in (power, gain, coef, complement, release):
            value.setflags(write=False)
        return cls(curves, power, gain, coef, complement, groups, release)

    def rows(self, max_frames: int) -> WdrcRows:
        """The per-band constants repeated for blocks of up to `max_frames` frames."""
        c = self.curves
        threshold, slope, gain = (
            np.tile(v, (max_frames, 1)) for v in (c.threshold_db, c.slope, c.gain_at_threshold_db)
        )
        release = np.arange(1, max_frames + 1)[:, None] * self.release_db_per_frame
        return WdrcRows(threshold, slope, gain, release)


class BandCompressor:
    """Detector state of one ear's bands; turns frame spectra into band levels."""

    def __init__(self, n_bands: int, max_frames: int = 0, n_bins: int = 0):
        self._n_bands = n_bands
        self._n_bins = n_bins
        self._allocate(max_frames)
        self.reset()

    def _allocate(self, max_frames: int) -> None:
        """Work buffers for blocks of up to `max_frames` filterbank frames."""
        self._max_frames = max_frames
        self._power = np.zeros((max_frames, self._n_bands), np.float32)
        self._power64 = np.zeros((max_frames, self._n_bands))
        self._level = np.zeros((max_frames, self._n_bands))
        self._fall = np.zeros((max_frames, self._n_bands))
        self._held = np.zeros((max_frames, self._n_bands))
        self._steps = np.arange(1.0, max_frames + 1.0)[:, None]
        self._state = np.zeros(self._n_bands)
        self._squares = np.zeros((2, max_frames, self._n_bins), np.float32)

    def reset(self) -> None:
        """Silence before the stream: the detector starts from no signal."""
        self._smoothed = np.zeros(self._n_bands)
        self._held_db = np.full(self._n_bands, -200.0)

    def levels_db(
        self,
        spectra: np.ndarray,
        tables: WdrcTables,
        db_spl_at_0dbfs: float,
        rows: WdrcRows | None = None,
    ) -> np.ndarray:
        """Detected band input level (dB SPL) for each frame, shaped (frames, bands); needs >= 1
        frame. The result is a view of a buffer of this compressor, valid until the next call.
        Blocks of up to `_LOOP_FRAMES` frames (live blocks) allocate nothing; longer ones filter
        with lfilter."""
        n_frames = spectra.shape[0]
        if n_frames > self._max_frames or spectra.shape[1] != self._n_bins:
            self._n_bins = spectra.shape[
                1
            ]  # not as prepared: allocates once (not for the audio thread)
            self._allocate(max(n_frames, self._max_frames))
        squares = np.square(spectra.real, out=self._squares[0, :n_frames])
        squares += np.square(spectra.imag, out=self._squares[1, :n_frames])
        power = np.matmul(squares, tables.power_matrix, out=self._power[:n_frames])
        smoothed = self._level[:n_frames]
        if n_frames <= _LOOP_FRAMES:  # live blocks
            power64 = self._power64[:n_frames]
            power64[:] = power
            state, new = self._smoothed, self._state
            for f in range(n_frames):
                np.multiply(tables.attack_coef, state, out=state)
                state += np.multiply(tables.attack_complement, power64[f], out=new)
                smoothed[f] = state
        else:
            for coef, bands in tables.attack_groups:
                smoothed[:, bands], _ = lfilter(
                    [1.0 - coef],
                    [1.0, -coef],
                    power[:, bands],
                    axis=0,
                    zi=coef * self._smoothed[bands][None, :],
                )
            self._smoothed[:] = smoothed[-1]
        level = np.maximum(smoothed, _FLOOR_POWER, out=smoothed)
        np.log10(level, out=level)
        level *= 10.0
        level += db_spl_at_0dbfs
        if rows is None:
            fall = np.multiply(
                self._steps[:n_frames], tables.release_db_per_frame, out=self._fall[:n_frames]
            )
        else:
            fall = rows.release_fall_db[:n_frames]
        level += fall
        np.maximum(level[0], self._held_db, out=level[0])  # the held level before the block
        held = np.maximum.accumulate(level, axis=0, out=self._held[:n_frames])
        held -= fall
        self._held_db[:] = held[-1]
        return held
