"""Safety by physics: the output peak never passes the ceiling, the ceiling never passes 111 dB SPL,
and the chain adds little distortion at conversational levels."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from conftest import BAD_SAMPLES

from openhear.audio.guard import MAX_SAMPLE
from openhear.dsp.chain import EarChain, EarSettings, StereoChain, amplify_array
from openhear.dsp.levels import amplitude_for_rms_db, level_db_spl, peak_db_spl
from openhear.dsp.limiter import PeakLimiter
from openhear.dsp.testsignals import speech_shaped_noise, tone
from openhear.errors import OpenhearError
from openhear.fitting.adjustments import MAX_OUTPUT_LIMIT_DB_SPL, Adjustments
from openhear.fitting.audiogram import preset
from openhear.fitting.profile import fit_listener
from openhear.testing import assert_chunking_invariant

RATE = 48000
ROUNDING_DB = 1e-3


def _hostile_signals() -> dict[str, np.ndarray]:
    n = RATE
    impulses = np.zeros(n, np.float32)
    impulses[:: RATE // 10] = 1.0
    impulses[RATE // 2 + 1 :: RATE // 7] = -1.0
    square = np.where(np.sin(2 * np.pi * 300 * np.arange(n) / RATE) >= 0, 1.0, -1.0).astype(
        np.float32
    )
    quiet = speech_shaped_noise(45.0, 0.5, RATE, seed=2)
    jumps = np.concatenate([quiet, quiet * 100.0, quiet, quiet * 100.0]).astype(
        np.float32
    )  # +40 dB steps
    tone_jump = np.concatenate([tone(3000, 40.0, 0.5, RATE), tone(3000, 80.0, 0.5, RATE)])
    return {
        "impulses": impulses,
        "full-scale square": square,
        "40 dB jumps": jumps,
        "tone jump": tone_jump,
    }


@pytest.mark.parametrize("ceiling_db", [80.0, 100.0, 111.0])
@pytest.mark.parametrize("name", ["N5", "S3"])
def test_output_peak_never_exceeds_the_ceiling(name, ceiling_db):
    profile = fit_listener(preset(name), Adjustments(boost_db=20.0, max_output_db_spl=ceiling_db))
    for label, x in _hostile_signals().items():
        y = amplify_array(x, RATE, profile)
        assert peak_db_spl(y) <= ceiling_db + ROUNDING_DB, label
        assert peak_db_spl(y) > ceiling_db - 6.0, label  # the test drives the limiter hard


@pytest.mark.parametrize("name", ["N5", "S3"])
def test_default_settings_hold_the_output_well_below_111_db_spl(name):
    """Fitted with default adjustments and driven with a full-scale square wave, the output peaks
    at least 10 dB below the hard limit (and the limiter is really working there)."""
    profile = fit_listener(preset(name))
    square = np.where(np.arange(RATE) % 160 < 80, 1.0, -1.0).astype(np.float32)
    y = amplify_array(square, RATE, profile)
    assert peak_db_spl(y) <= MAX_OUTPUT_LIMIT_DB_SPL - 10 + ROUNDING_DB
    assert peak_db_spl(y) > MAX_OUTPUT_LIMIT_DB_SPL - 20


def test_no_setting_passes_111_db_spl():
    with pytest.raises(OpenhearError):
        Adjustments(max_output_db_spl=111.5)
    profile = fit_listener(preset("N5"), Adjustments(boost_db=20.0, max_output_db_spl=111.0))
    # Settings built by hand (not through Adjustments) with an absurd ceiling are still capped.
    settings = EarSettings.from_profile(profile, "left")
    forged = EarSettings(settings.curves, 140.0, settings.db_spl_at_0dbfs)
    ear = EarChain(forged)
    ear.prepare(RATE, 4096)
    y = ear.process(np.where(np.arange(RATE) % 200 < 100, 1.0, -1.0).astype(np.float32))
    assert peak_db_spl(y) <= MAX_OUTPUT_LIMIT_DB_SPL + ROUNDING_DB


def test_limiter_passes_signals_below_the_ceiling_untouched():
    limiter = PeakLimiter(ceiling_amplitude=0.5)
    limiter.prepare(RATE, 4096)
    x = 0.49 * np.sin(np.linspace(0, 200, 4000)).astype(np.float32)
    np.testing.assert_array_equal(limiter.process(x), x)


def test_limiter_releases_with_its_time_constant_and_streams_exactly():
    limiter = PeakLimiter(ceiling_amplitude=0.5, release_ms=50.0)
    limiter.prepare(RATE, 8192)
    x = np.full(RATE // 5, 0.25, np.float32)
    x[0] = 1.0  # twice the ceiling: attenuation ratio 2, then held with exponential decay
    y = limiter.process(x)
    assert y[0] == pytest.approx(0.5)
    for ms in (5, 10, 20):
        n = ms * RATE // 1000
        assert y[n] / x[n] == pytest.approx(np.exp(n / (0.05 * RATE)) / 2, rel=1e-3)
    assert np.all(
        y[RATE * 40 // 1000 :] == x[RATE * 40 // 1000 :]
    )  # 2 e^(-t/50 ms) < 1 after 35 ms

    rng = np.random.default_rng(5)
    signal = (rng.standard_normal(RATE) * np.repeat(rng.uniform(0.05, 0.6, 50), RATE // 50)).astype(
        np.float32
    )
    expected = assert_chunking_invariant(
        _limiter(0.5), signal, max_block_frames=3000, seed=5, rtol=1e-5, atol=1e-7
    )
    assert np.max(np.abs(expected)) <= 0.5


def _limiter(ceiling: float) -> Callable[[int], PeakLimiter]:
    """A factory of fresh limiters prepared for blocks of up to the given frames."""

    def make(max_block_frames: int) -> PeakLimiter:
        limiter = PeakLimiter(ceiling)
        limiter.prepare(RATE, max_block_frames)
        return limiter

    return make


def _thd_plus_n(y: np.ndarray, freq: float) -> float:
    """Residual after removing the best-fitting sine at `freq`, relative to
    the whole (RMS ratio)."""
    t = np.arange(len(y)) / RATE
    basis = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t)], axis=1)
    coef, *_ = np.linalg.lstsq(basis, y.astype(np.float64), rcond=None)
    residual = y - basis @ coef
    return float(np.sqrt(np.mean(residual**2) / np.mean(y.astype(np.float64) ** 2)))


@pytest.mark.parametrize("freq", [500.0, 800.0, 1600.0])
def test_thd_plus_n_at_70_db_spl_is_at_most_5_percent(freq):
    profile = fit_listener(preset("N3"))
    x = tone(freq, 70.0, 1.0, RATE)
    y = amplify_array(x, RATE, profile)[:, 0]
    steady = y[RATE // 2 :]
    assert np.sqrt(np.mean(steady**2)) > 2 * amplitude_for_rms_db(
        70.0
    )  # amplified, below the ceiling
    assert _thd_plus_n(steady, freq) <= 0.05


def _damaged(x: np.ndarray, value: float, block: int) -> tuple[np.ndarray, np.ndarray]:
    """(damaged, zeroed) copies of x: the value at three single samples and over a whole block."""
    damaged, zeroed = x.copy(), x.copy()
    for at in (
        slice(1000, 1001),
        slice(7 * block, 8 * block),
        slice(-3, -2),
        slice(RATE // 3, RATE // 3 + 1),
    ):
        damaged[at], zeroed[at] = value, 0.0
    return damaged, zeroed


def _in_blocks(process, x: np.ndarray, block: int) -> np.ndarray:
    return np.concatenate([process(x[i : i + block]).copy() for i in range(0, len(x), block)])


@pytest.mark.parametrize("kind", BAD_SAMPLES)
def test_limiter_holds_the_ceiling_whatever_arrives_and_is_not_poisoned(kind):
    """A bad sample is limited as silence: every later sample comes out as if it had been 0."""
    x = tone(1000, 100.0, 0.5, RATE)  # peaks 1.41, far above the ceiling
    damaged, zeroed = _damaged(x, BAD_SAMPLES[kind], 64)
    outputs = []
    for signal in (damaged, zeroed):
        limiter = PeakLimiter(ceiling_amplitude=0.5)
        limiter.prepare(RATE, 64)
        outputs.append(_in_blocks(limiter.process, signal, 64))
    assert np.all(np.isfinite(outputs[0])) and np.max(np.abs(outputs[0])) <= 0.5
    np.testing.assert_array_equal(outputs[0], outputs[1])


def test_limiter_ceiling_must_be_finite():
    for ceiling in (0.0, -1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="positive and finite"):
            PeakLimiter(ceiling)


@pytest.mark.parametrize("noise", ["none", "spectral"])
@pytest.mark.parametrize("kind", BAD_SAMPLES)
def test_live_chain_keeps_running_after_bad_blocks(kind, noise):
    """Filterbank, compressor, suppressor and limiter state are not poisoned: the stereo chain's
    output is the output for zeros in place of the bad samples, finite and within the ceiling."""
    profile = fit_listener(
        preset("N3"),
        Adjustments(boost_db=20.0, noise_kind=noise, noise_strength=0.5),
    )
    x = speech_shaped_noise(80.0, 1.0, RATE, seed=3)
    damaged, zeroed = _damaged(np.stack([x, x[::-1]], axis=1), BAD_SAMPLES[kind], 64)
    outputs = []
    for signal in (damaged, zeroed):
        chain = StereoChain.from_profile(profile)
        chain.prepare(RATE, 64)
        outputs.append(_in_blocks(chain.process, signal, 64))
    assert np.all(np.isfinite(outputs[0]))
    assert peak_db_spl(outputs[0]) <= profile.adjustments.max_output_db_spl + ROUNDING_DB
    np.testing.assert_array_equal(outputs[0], outputs[1])
    assert level_db_spl(outputs[0][-RATE // 5 :]) > level_db_spl(x) - 10  # still amplifying


def test_the_loudest_sample_let_in_is_limited_and_released():
    """A sample at MAX_SAMPLE (the loudest `audio.guard` lets in) is held to the ceiling, and 3 s
    later the chain sounds as if it had never come (the compressor's gain has recovered)."""
    profile = fit_listener(preset("S3"))
    x = speech_shaped_noise(65.0, 4.0, RATE, seed=8)
    loud = x.copy()
    loud[RATE // 10] = -MAX_SAMPLE
    clean, after = amplify_array(x, RATE, profile), amplify_array(loud, RATE, profile)
    assert np.all(np.isfinite(after))
    assert peak_db_spl(after) <= profile.adjustments.max_output_db_spl + ROUNDING_DB
    assert level_db_spl(after[RATE // 4 : RATE]) < level_db_spl(clean[RATE // 4 : RATE]) - 3
    tail = slice(RATE * 31 // 10, None)  # 3 s after it
    assert abs(level_db_spl(after[tail]) - level_db_spl(clean[tail])) < 0.5
