"""Levels under a calibration: RMS and peak in dB SPL, a running mean square, and the gain that
brings a signal to a level.

`db_spl_at_0dbfs` (the profile's calibration, `fitting.profile.DEFAULT_DB_SPL_AT_0DBFS` by default)
is the level in dB SPL of a signal whose RMS is 1.0. Used by the file pipeline (`dsp.recordings`),
the fitting preview, the test signals and the benchmarks.
"""

from __future__ import annotations

import math

import numpy as np

from openhear.fitting.profile import DEFAULT_DB_SPL_AT_0DBFS
from openhear.units import db_to_gain, gain_to_db


def amplitude_for_rms_db(
    level_db_spl: float, db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS
) -> float:
    """The RMS sample value that is `level_db_spl` under this calibration."""
    return db_to_gain(level_db_spl - db_spl_at_0dbfs)


def level_db_spl(samples: np.ndarray, db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS) -> float:
    """RMS level of a signal in dB SPL."""
    return mean_square_db_spl(
        float(np.mean(np.square(np.asarray(samples, np.float64)))), db_spl_at_0dbfs
    )


MIN_MEAN_SQUARE = 1e-30
"""The smallest mean square measured: digital silence is this level (300 dB below full scale)."""


def mean_square_db_spl(
    mean_square: float, db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS
) -> float:
    """A mean square (full scale 1.0) as an RMS level in dB SPL."""
    return db_spl_at_0dbfs + 10.0 * np.log10(max(mean_square, MIN_MEAN_SQUARE))


def level_text(level_db_spl: float, db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS) -> str:
    """A measured level for people: "62 dB SPL", or "silent" for digital silence (not "-200")."""
    if level_db_spl <= mean_square_db_spl(MIN_MEAN_SQUARE, db_spl_at_0dbfs):
        return "silent"
    return f"{level_db_spl:.0f} dB SPL"


class MeanSquare:
    """The mean square of a signal given block by block (all channels together), in float64."""

    def __init__(self) -> None:
        self.total = 0.0
        """Sum of the squared samples so far."""
        self.count = 0
        """Samples so far (frames times channels)."""

    def add(self, block: np.ndarray) -> None:
        self.total += float(np.sum(np.square(block, dtype=np.float64)))
        self.count += block.size

    @property
    def value(self) -> float:
        """The mean square so far (0.0 before any sample)."""
        return self.total / self.count if self.count else 0.0


def gain_to_level(
    mean_square: float,
    level_db_spl_rms: float | None,
    db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS,
) -> float | None:
    """The factor that brings a signal of this mean square to an RMS level; None when there is
    nothing to scale (no level asked for, or silence, which stays silence)."""
    if level_db_spl_rms is None or mean_square == 0.0:
        return None
    return amplitude_for_rms_db(level_db_spl_rms, db_spl_at_0dbfs) / math.sqrt(mean_square)


def scaled_to_level(
    samples: np.ndarray,
    level_db_spl_rms: float | None,
    db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS,
) -> np.ndarray:
    """The signal scaled so its RMS is this level (unchanged for None; silence stays silence)."""
    if level_db_spl_rms is None:
        return samples
    gain = gain_to_level(
        float(np.mean(np.square(samples, dtype=np.float64))), level_db_spl_rms, db_spl_at_0dbfs
    )
    return samples if gain is None else (samples * gain).astype(np.float32)


def peak_db_spl(samples: np.ndarray, db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS) -> float:
    """Largest absolute sample, as dB SPL under this calibration."""
    return db_spl_at_0dbfs + gain_to_db(max(float(np.max(np.abs(samples))), 1e-30))
