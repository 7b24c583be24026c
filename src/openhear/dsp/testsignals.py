"""Calibrated measurement signals (tones, speech-shaped noise), in dB SPL.

Used to verify fittings (gain per band for speech-shaped noise at 65 dB SPL, as a real-ear check
with a speech-like signal would), by the safety tests and by the benchmarks. The level meters and
conversions they use are `dsp.levels`, which the library uses too.
"""

from __future__ import annotations

import numpy as np

from openhear.dsp.levels import amplitude_for_rms_db
from openhear.fitting.prescription import LTASS_DB_SPL, LTASS_HZ
from openhear.fitting.profile import DEFAULT_DB_SPL_AT_0DBFS


def tone(
    frequency_hz: float,
    level_db_spl: float,
    duration_s: float,
    sample_rate: int,
    db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS,
) -> np.ndarray:
    """A sine at an RMS level in dB SPL, float32."""
    t = np.arange(round(duration_s * sample_rate)) / sample_rate
    amplitude = np.sqrt(2.0) * amplitude_for_rms_db(level_db_spl, db_spl_at_0dbfs)
    return (amplitude * np.sin(2 * np.pi * frequency_hz * t)).astype(np.float32)


def speech_shaped_noise(
    level_db_spl: float,
    duration_s: float,
    sample_rate: int,
    seed: int = 0,
    db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS,
) -> np.ndarray:
    """Gaussian noise with the long-term average speech spectrum (Byrne et al.
    1994), at an RMS level."""
    n = round(duration_s * sample_rate)
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / sample_rate)
    third_octave_width = LTASS_HZ * (2 ** (1 / 6) - 2 ** (-1 / 6))
    density_db = np.interp(
        np.log(np.maximum(freqs, LTASS_HZ[0])),
        np.log(LTASS_HZ),
        LTASS_DB_SPL - 10 * np.log10(third_octave_width),
    )
    x = np.fft.irfft(spectrum * 10 ** (density_db / 20), n)
    x *= amplitude_for_rms_db(level_db_spl, db_spl_at_0dbfs) / np.sqrt(np.mean(x**2))
    return x.astype(np.float32)
