"""WDRC attack and release by physics, the ANSI S3.22 way: a tone at a band's centre steps from
55 to 90 dB SPL and back to 55. Attack time: from the step up until the output stays within 3 dB
of its new steady level; release time: from the step down until it stays within 4 dB.

What the fitting's time constants imply: the detector smooths band power with a one-pole of
ATTACK_MS, so after the step up the detected level is L(t) = 10 log10(1 - (1 - r) e^(-t/tau_a))
dB below 90 (r: the power ratio of the step), and the gain differs from its steady value by
slope * L(t); after the step down the held level falls 10 log10(e) dB per RELEASE_MS, a straight
line in dB until it reaches the threshold (or 55). Those give the expected times; the time
constants themselves are also fitted from the output envelope.
"""

from __future__ import annotations

import numpy as np
import pytest

from openhear.dsp.chain import EarSettings, amplify_array
from openhear.dsp.filterbank import DftFilterbank
from openhear.dsp.levels import peak_db_spl
from openhear.dsp.testsignals import tone
from openhear.fitting.adjustments import Adjustments
from openhear.fitting.audiogram import preset
from openhear.fitting.prescription import ATTACK_MS, RELEASE_MS, BandFitting
from openhear.fitting.profile import DEFAULT_DB_SPL_AT_0DBFS, fit_listener

RATE = 48000
LOW_DB, HIGH_DB = 55.0, 90.0
STEP_UP_S, STEP_DOWN_S, END_S = 1.0, 2.0, 4.0
WINDOW = 96
"""The envelope is the RMS over 2 ms: whole periods of every band-centre tone used here."""
EDGE_S = 0.006
"""The 4 ms filterbank frame spreads a step over its neighbourhood: steady levels and settling
are read this far inside each segment."""
DB_PER_TIME_CONSTANT = 10 * np.log10(np.e)
ATTACK_EARLY_MS = 8.0
"""Allowed shortfall of the measured attack time: the detector hears the step through a 4 ms
analysis frame before the samples it scales come out, and the 2 ms envelope window sees it
early too (measured 5 to 6 ms early)."""
ATTACK_LATE_MS = 2.0
"""Allowed excess of the measured attack time (one hop of 1 ms and the envelope window)."""
RELEASE_TOLERANCE = 0.02
"""Relative tolerance of the release time (measured within 1 %)."""


def _envelope_db(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(times at window centres, RMS level in dB SPL over WINDOW samples)."""
    c = np.concatenate([[0.0], np.cumsum(y.astype(np.float64) ** 2)])
    mean_square = (c[WINDOW:] - c[:-WINDOW]) / WINDOW
    level = DEFAULT_DB_SPL_AT_0DBFS + 10 * np.log10(np.maximum(mean_square, 1e-30))
    return (np.arange(len(level)) + WINDOW / 2) / RATE, level


def _settling_ms(
    t: np.ndarray, level: np.ndarray, start_s: float, end_s: float, tol_db: float
) -> tuple[float, float]:
    """(steady level, ms from `start_s` until the level stays within `tol_db` of it)."""
    inside = (t >= start_s + WINDOW / 2 / RATE) & (t < end_s - EDGE_S)
    steady = float(np.median(level[(t >= end_s - 0.4) & (t < end_s - EDGE_S)]))
    outside = np.flatnonzero(np.abs(level[inside] - steady) > tol_db)
    settled_s = t[inside][outside[-1]] if outside.size else start_s
    return steady, float(1000 * (settled_s - start_s))


def _step_response(name: str) -> tuple[BandFitting, EarSettings, np.ndarray, np.ndarray]:
    """The band of this preset's left ear that compresses most, and the envelope of the chain's
    output for the 55-90-55 dB SPL step at its centre (gain lowered 20 dB so the limiter, which
    would shape the envelope too, stays out of it)."""
    profile = fit_listener(preset(name), Adjustments(boost_db=-20.0, max_output_db_spl=111.0))
    band = max(profile.left.bands, key=lambda b: b.ratio)
    f = band.center_hz
    x = np.concatenate(
        [
            tone(f, LOW_DB, STEP_UP_S, RATE),
            tone(f, HIGH_DB, STEP_DOWN_S - STEP_UP_S, RATE),
            tone(f, LOW_DB, END_S - STEP_DOWN_S, RATE),
        ]
    )
    y = amplify_array(x, RATE, profile)[:, 0]
    assert peak_db_spl(y) < 111.0 - 1.0  # the limiter is not at work
    y = y[DftFilterbank(RATE).latency_frames :]  # on the input's clock
    return band, EarSettings.from_profile(profile, "left"), *_envelope_db(y)


@pytest.mark.parametrize("name", ["N3", "N4", "S1", "S2", "S3"])
def test_ansi_attack_and_release_times_follow_the_fitted_time_constants(name):
    band, settings, t, level = _step_response(name)
    assert band.attack_ms == ATTACK_MS and band.release_ms == RELEASE_MS
    assert band.ratio >= 1.4  # compression enough to time
    slope = 1.0 / band.ratio - 1.0
    power_ratio = 10 ** ((LOW_DB - HIGH_DB) / 10)
    attack_expected_ms = ATTACK_MS * np.log((1 - power_ratio) / (1 - 10 ** (3 / (10 * slope))))
    floor_db = max(band.threshold_db, LOW_DB)
    release_expected_ms = RELEASE_MS * (HIGH_DB - floor_db + 4 / slope) / DB_PER_TIME_CONSTANT

    high, attack_ms = _settling_ms(t, level, STEP_UP_S, STEP_DOWN_S, 3.0)
    low, release_ms = _settling_ms(t, level, STEP_DOWN_S, END_S, 4.0)
    assert attack_expected_ms - ATTACK_EARLY_MS <= attack_ms <= attack_expected_ms + ATTACK_LATE_MS
    assert release_ms == pytest.approx(release_expected_ms, rel=RELEASE_TOLERANCE)
    # the steady levels are the static curve's, so the times are measured against the right ends
    bands = len(settings.curves.centers_hz)
    static = settings.curves.gains_db(np.repeat([[HIGH_DB], [LOW_DB]], bands, axis=1))
    band_index = list(settings.curves.centers_hz).index(band.center_hz)
    assert high == pytest.approx(HIGH_DB + static[0, band_index], abs=1.0)
    assert low == pytest.approx(LOW_DB + static[1, band_index], abs=1.0)


@pytest.mark.parametrize("name", ["N4", "S2"])
def test_time_constants_fitted_from_the_output_envelope(name):
    """The attack constant from the gain's approach after the step up (a straight line in
    log(1 - 10^(gain deviation / 10 slope)) against time), the release constant from the slope of
    the output level (dB/s) after the step down: within 10 % and 3 % of the fitting's."""
    band, _, t, level = _step_response(name)
    slope = 1.0 / band.ratio - 1.0
    power_ratio = 10 ** ((LOW_DB - HIGH_DB) / 10)
    high = np.median(level[(t > STEP_DOWN_S - 0.4) & (t < STEP_DOWN_S - EDGE_S)])
    rising = (t >= STEP_UP_S + 0.008) & (t < STEP_UP_S + 0.1)
    remaining = (1 - 10 ** ((level[rising] - high) / (10 * slope))) / (1 - power_ratio)
    usable = remaining > 0.02  # above the envelope's ripple
    assert usable.sum() > RATE // 50
    attack_fit_ms = -1000 / np.polyfit(t[rising][usable], np.log(remaining[usable]), 1)[0]
    assert attack_fit_ms == pytest.approx(ATTACK_MS, rel=0.10)

    floor_db = max(band.threshold_db, LOW_DB)
    falling_s = RELEASE_MS / 1000 * (HIGH_DB - floor_db) / DB_PER_TIME_CONSTANT
    falling = (t > STEP_DOWN_S + 0.05) & (t < STEP_DOWN_S + 0.8 * falling_s)
    db_per_s = np.polyfit(t[falling], level[falling], 1)[0]
    release_fit_ms = 1000 * -slope * DB_PER_TIME_CONSTANT / db_per_s
    assert release_fit_ms == pytest.approx(RELEASE_MS, rel=0.03)
