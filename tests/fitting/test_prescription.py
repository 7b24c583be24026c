"""NAL-R(P) gains from the formula, and the WDRC rule around them."""

from __future__ import annotations

import numpy as np
import pytest

from openhear.fitting.audiogram import Audiogram, preset
from openhear.fitting.prescription import (
    BAND_CENTERS_HZ,
    MAX_RATIO,
    SPEECH_PEAKS_ABOVE_LTASS_DB,
    nal_r_gains_db,
    prescribe_ear,
    speech_band_levels_db_spl,
    wdrc_ratio,
)

FREQS = [250, 500, 1000, 2000, 4000, 8000]


def test_nal_r_formula_for_a_flat_40_db_loss():
    # X = 0.05 * 120 = 6; G = 6 + 0.31 * 40 + k = 18.4 + k
    gains = nal_r_gains_db(Audiogram(FREQS, [40] * 6), [250, 500, 1000, 2000, 4000])
    assert gains == pytest.approx([1.4, 10.4, 19.4, 17.4, 16.4])


def test_nal_r_clips_negative_gain_to_zero():
    gains = nal_r_gains_db(Audiogram(FREQS, [0] * 6), [250, 1000])
    assert gains == pytest.approx([0.0, 1.0])


def test_nal_rp_raises_gain_for_severe_loss():
    ear = Audiogram(FREQS, [80, 90, 100, 100, 100, 100])  # H500 + H1k + H2k = 290 > 180
    x = 9.0 + 0.116 * (290 - 180)
    assert nal_r_gains_db(ear, [1000])[0] == pytest.approx(x + 31.0 + 1.0)
    assert x > 0.05 * 290


def test_speech_reference_levels_add_up_to_65_db():
    levels = speech_band_levels_db_spl(BAND_CENTERS_HZ, 65.0)
    assert 10 * np.log10(np.sum(10 ** (levels / 10))) == pytest.approx(65.0, abs=0.2)
    assert levels[0] > levels[-3]  # speech has more energy low than high


def test_ratio_grows_with_loss_and_is_capped():
    assert wdrc_ratio(10) == 1.0
    assert wdrc_ratio(40) < wdrc_ratio(60) < wdrc_ratio(80)
    assert wdrc_ratio(120) == MAX_RATIO


def test_prescribed_gain_applies_at_65_and_compresses_around_it():
    fitting = prescribe_ear(preset("N4").left)
    assert len(fitting.bands) >= 8
    g50, g65, g80 = (fitting.gains_db_for_speech(level) for level in (50, 65, 80))
    assert g65 == pytest.approx(
        [b.gain_db for b in fitting.bands], abs=0.01
    )  # levels stored to 0.01 dB
    assert np.all(g50 > g65) and np.all(g65 > g80)
    # 15 dB more input gives 15 * (1 - 1/ratio) dB less gain in every compressing band
    ratios = np.array([b.ratio for b in fitting.bands])
    assert g65 - g80 == pytest.approx(15 * (1 - 1 / ratios), abs=1e-6)


@pytest.mark.parametrize("name", ["N2", "N4", "S3"])
def test_speech_peaks_get_nal_r_and_the_long_term_level_more_as_the_loss_grows(name):
    """NAL-R is anchored 12 dB above each band's share of 65 dB SPL speech (the speech peaks)."""
    ear = preset(name).left
    fitting = prescribe_ear(ear)
    nal_r = nal_r_gains_db(ear, fitting.centers_hz)
    assert fitting.gains_db_for_speech(65.0 + SPEECH_PEAKS_ABOVE_LTASS_DB) == pytest.approx(
        nal_r, abs=0.02
    )
    extra = fitting.gains_db_for_speech(65.0) - nal_r
    ratios = np.array([b.ratio for b in fitting.bands])
    assert extra == pytest.approx(SPEECH_PEAKS_ABOVE_LTASS_DB * (1 - 1 / ratios), abs=0.02)
    losses = ear.levels_at(fitting.centers_hz)
    assert np.all(extra[losses <= 20] < 0.02) and np.all(extra[losses >= 60] > 3.0)
