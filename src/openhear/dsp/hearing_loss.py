"""What a listener hears: the MSBG hearing-loss simulator (pyclarity, Cambridge model) per ear.

MSBG (Moore, Stone, Baer, Glasberg) smears the spectrum, simulates loudness recruitment and raises
thresholds to the audiogram; it runs at 44.1 kHz only, so the signal is resampled there and back
(soxr). Levels follow our calibration: MSBG is told that 0 dBFS RMS is `db_spl_at_0dbfs` dB SPL.
pyclarity is imported here only (it is an evaluation dependency installed without its torch extras).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import numpy as np

from openhear.audio.resample import resample
from openhear.dsp.chain import as_stereo
from openhear.errors import OpenhearError
from openhear.fitting.audiogram import Audiogram, Listener
from openhear.fitting.profile import DEFAULT_DB_SPL_AT_0DBFS

MSBG_RATE = 44100
MSBG_FREQUENCIES_HZ = (250, 500, 1000, 2000, 3000, 4000, 6000, 8000)
HEADROOM_DB = 20.0
"""MSBG's `ahr`: it adds this to `equiv_0db_spl`, so we pass the calibration less this."""


def _msbg() -> tuple[Any, Any]:
    try:
        from clarity.evaluator.msbg.msbg import Ear
        from clarity.utils.audiogram import Audiogram as ClarityAudiogram
    except ImportError as exc:
        raise OpenhearError(
            "the hearing-loss simulator needs pyclarity (pip install --no-deps "
            f"pyclarity==0.9.0): {exc}"
        ) from None
    return Ear, ClarityAudiogram


@lru_cache(maxsize=4)
def _ear(levels_db_hl: tuple[float, ...], db_spl_at_0dbfs: float) -> Any:
    """An MSBG ear for these thresholds (building one costs seconds: its smearing matrix is
    a least-squares fit)."""
    Ear, ClarityAudiogram = _msbg()
    ear = Ear(
        src_pos="ff",
        sample_rate=MSBG_RATE,
        equiv_0db_spl=db_spl_at_0dbfs - HEADROOM_DB,
        ahr=HEADROOM_DB,
    )
    ear.set_audiogram(
        ClarityAudiogram(levels=np.array(levels_db_hl), frequencies=np.array(MSBG_FREQUENCIES_HZ))
    )
    return ear


def simulate_ear(
    samples: np.ndarray,
    sample_rate: int,
    audiogram: Audiogram,
    db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS,
) -> np.ndarray:
    """One channel as heard by an ear with this audiogram, at the input's rate and length."""
    x = resample(np.asarray(samples, np.float32), sample_rate, MSBG_RATE).astype(np.float64)
    if not np.any(x):
        return np.zeros(len(samples), np.float32)
    levels = tuple(float(v) for v in audiogram.levels_at(MSBG_FREQUENCIES_HZ))
    logging.getLogger().disabled, was = (
        True,
        logging.getLogger().disabled,
    )  # MSBG logs warnings per call
    try:
        y = np.asarray(_ear(levels, db_spl_at_0dbfs).process(x)[0], np.float32)
    finally:
        logging.getLogger().disabled = was
    y = resample(y, MSBG_RATE, sample_rate)
    out = np.zeros(len(samples), np.float32)
    out[: min(len(y), len(out))] = y[: len(out)]
    return out


def simulate_listener(
    samples: np.ndarray,
    sample_rate: int,
    listener: Listener,
    db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS,
) -> np.ndarray:
    """A (frames,) or (frames, channels) signal as heard by both ears: (frames, 2), left then
    right."""
    stereo = as_stereo(samples)
    left = simulate_ear(stereo[:, 0], sample_rate, listener.left, db_spl_at_0dbfs)
    if listener.left == listener.right and np.array_equal(stereo[:, 0], stereo[:, 1]):
        return np.stack([left, left], axis=1)  # same ear, same sound: MSBG is slow, run it once
    return np.stack(
        [left, simulate_ear(stereo[:, 1], sample_rate, listener.right, db_spl_at_0dbfs)], axis=1
    )
