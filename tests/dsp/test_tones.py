"""Hearing-check tones, by physics: level at the calibration, ramps, the ear, the caps."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from openhear.dsp.levels import level_db_spl, peak_db_spl
from openhear.dsp.tones import pulsed_tone, raised_cosine_ramp, trial_tone
from openhear.fitting.audiometry import CheckOptions, HearingCheck
from openhear.fitting.hearing_levels import (
    HEADPHONE_CLASSES,
    MAX_TONE_DB_SPL,
    Calibration,
    retspl_db,
)

RATE = 48000
FREQUENCIES = (250.0, 500.0, 1000.0, 2000.0, 3000.0, 4000.0, 6000.0, 8000.0)


def first_trial(calibration: Calibration, **changes):
    trial = HearingCheck(calibration.max_level_db_hl, CheckOptions(seed=0)).next_trial()
    return dataclasses.replace(trial, catch=False, **changes)


def plateaus(x: np.ndarray, options: CheckOptions) -> list[np.ndarray]:
    """The steady part of every pulse (ramps cut off)."""
    on, gap, ramp = (round(s * RATE) for s in (options.pulse_s, options.gap_s, options.ramp_s))
    return [x[k * (on + gap) + ramp : k * (on + gap) + on - ramp] for k in range(options.pulses)]


def band_level_db_spl(x: np.ndarray, frequency_hz: float, db_spl_at_0dbfs: float) -> float:
    """Level of the component at `frequency_hz`, from the spectrum (Hann window, energy-corrected),
    as a meter with a narrow filter would read it."""
    window = np.hanning(len(x))
    spectrum = np.fft.rfft(x * window)
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    near = np.abs(freqs - frequency_hz) <= 30.0
    power = 2 * np.sum(np.abs(spectrum[near]) ** 2) / (len(x) * np.sum(window**2))
    return db_spl_at_0dbfs + 10 * np.log10(power)


@pytest.mark.parametrize("headphone", HEADPHONE_CLASSES)
@pytest.mark.parametrize("db_spl_at_0dbfs", [95.0, 100.0, 118.5])
def test_a_tone_at_l_db_hl_measures_l_plus_retspl_db_spl_at_the_calibration(
    headphone, db_spl_at_0dbfs
):
    calibration = Calibration(headphone, db_spl_at_0dbfs, "stated")
    for frequency in FREQUENCIES:
        for level in (-10.0, 20.0, 45.0, calibration.max_level_db_hl(frequency)):
            trial = first_trial(calibration, frequency_hz=frequency, level_db_hl=level, ear="left")
            stereo = trial_tone(trial, calibration, RATE)
            expected = level + retspl_db(headphone, frequency)
            for plateau in plateaus(stereo[:, 0], trial.options):
                assert level_db_spl(plateau, db_spl_at_0dbfs) == pytest.approx(expected, abs=0.5)
                assert band_level_db_spl(plateau, frequency, db_spl_at_0dbfs) == pytest.approx(
                    expected, abs=0.5
                )
            assert not np.any(stereo[:, 1])  # nothing in the other ear


def test_the_right_ear_tone_is_in_the_right_channel_only():
    calibration = Calibration()
    stereo = trial_tone(first_trial(calibration, ear="right"), calibration, RATE)
    assert not np.any(stereo[:, 0]) and np.any(stereo[:, 1])


def test_iso_389_reference_levels_are_the_published_ones():
    # spot checks against the tables named in openhear/data/retspl_iso389.json
    assert retspl_db("supra-aural", 1000) == 7.0 and retspl_db("supra-aural", 250) == 25.5
    assert retspl_db("circumaural", 1000) == 5.5 and retspl_db("circumaural", 8000) == 17.5
    assert retspl_db("insert", 1000) == 5.5 and retspl_db("insert", 4000) == 15.0
    # between table frequencies: linear in log frequency
    assert retspl_db("circumaural", 1414.2) == pytest.approx(5.5, abs=0.05)


@pytest.mark.parametrize("headphone", HEADPHONE_CLASSES)
@pytest.mark.parametrize("db_spl_at_0dbfs", [60.0, 90.0, 100.0, 110.0, 140.0])
def test_at_the_cap_no_tone_passes_100_db_spl_nor_clips(headphone, db_spl_at_0dbfs):
    calibration = Calibration(headphone, db_spl_at_0dbfs, "stated")
    for frequency in FREQUENCIES:
        cap = calibration.max_level_db_hl(frequency)
        assert cap <= 80.0 and cap % 5 == 0
        trial = first_trial(calibration, frequency_hz=frequency, level_db_hl=cap, ear="left")
        tone = trial_tone(trial, calibration, RATE)[:, 0]
        assert (
            level_db_spl(plateaus(tone, trial.options)[0], db_spl_at_0dbfs)
            <= MAX_TONE_DB_SPL + 0.01
        )
        assert peak_db_spl(tone, 0.0) <= -1.0 + 0.01  # 1 dB below full scale
        with pytest.raises(ValueError, match="above the cap"):
            trial_tone(dataclasses.replace(trial, level_db_hl=cap + 5), calibration, RATE)


def test_every_pulse_rises_and_falls_on_a_raised_cosine_without_clicks():
    options = CheckOptions()
    x = pulsed_tone(
        1000.0,
        -20.0,
        RATE,
        pulses=options.pulses,
        pulse_s=options.pulse_s,
        gap_s=options.gap_s,
        ramp_s=options.ramp_s,
    )
    on, gap, ramp = (round(s * RATE) for s in (options.pulse_s, options.gap_s, options.ramp_s))
    assert len(x) == options.pulses * on + (options.pulses - 1) * gap
    assert abs(x[0]) < 1e-3 and abs(x[on - 1]) < 1e-3 and not np.any(x[on : on + gap])
    envelope = np.abs(np.asarray(x[:on], float))
    rising = raised_cosine_ramp(ramp)
    assert np.all(np.diff(rising) > 0) and rising[0] < 0.01 and rising[-1] > 0.99
    assert np.max(envelope[: ramp // 4]) < 0.2 * np.max(envelope)  # no instant onset
    # a click would spread energy far from the tone: 1 octave away it is 60 dB down
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    peak = spectrum[np.argmin(np.abs(freqs - 1000))]
    far = spectrum[(freqs < 500) | (freqs > 2000)]
    assert 20 * np.log10(np.max(far) / peak) < -60


def test_bad_tone_requests():
    with pytest.raises(ValueError, match="cannot be made"):
        pulsed_tone(30000.0, -20.0, RATE, pulses=3, pulse_s=0.2, gap_s=0.1, ramp_s=0.025)
    with pytest.raises(ValueError, match="ramps"):
        pulsed_tone(1000.0, -20.0, RATE, pulses=3, pulse_s=0.04, gap_s=0.1, ramp_s=0.025)
