"""Calibration of the hearing check: caps, meter readings, and one-line errors for bad values."""

from __future__ import annotations

import math

import pytest

from openhear.errors import OpenhearError
from openhear.fitting.hearing_levels import (
    CALIBRATION_TONE_DBFS,
    Calibration,
    calibration_from_dict,
    calibration_from_meter,
    reference_source,
    retspl_db,
)


def test_a_meter_reading_of_the_calibration_tone_gives_the_output_calibration():
    c = calibration_from_meter("supra-aural", 84.0, date="2026-12-02T10:00:00")
    assert c.db_spl_at_0dbfs == 84.0 - CALIBRATION_TONE_DBFS == 104.0
    assert c.calibrated and c.method == "sound-level-meter"
    assert "sound-level meter on 2026-12-02" in c.describe()
    assert "ISO 389-1" in c.describe()


def test_a_relative_calibration_says_it_is_not_measured():
    c = Calibration()
    assert not c.calibrated
    assert "not measured" in c.describe() and "ISO 389-8" in c.describe()
    assert c.to_dict()["calibrated"] is False


def test_caps_are_the_lowest_of_80_db_hl_100_db_spl_and_the_headroom():
    loud = Calibration("supra-aural", 130.0, "stated")
    assert loud.max_level_db_hl(1000) == 80.0  # hearing-level cap
    assert loud.max_level_db_hl(250) == 70.0  # 100 - 25.5 = 74.5 dB HL -> 70
    quiet = Calibration("circumaural", 80.0, "stated")
    # peak 1 dB below full scale: 80 - 1 - 3.01 = 75.99 dB SPL -> 70.49 dB HL at 1 kHz -> 70
    assert quiet.max_level_db_hl(1000) == 70.0
    assert quiet.tone_db_spl(1000, 70.0) == 70.0 + retspl_db("circumaural", 1000)


def test_reference_sources_are_named():
    assert reference_source("insert").startswith("ISO 389-2")
    assert "HDA 200" in reference_source("circumaural")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"headphone": "earbuds"}, "unknown headphone class"),
        ({"method": "guess"}, "unknown calibration method"),
        ({"db_spl_at_0dbfs": 200.0}, "from 60 to 140"),
        ({"db_spl_at_0dbfs": math.nan}, "from 60 to 140"),
        ({"db_spl_at_0dbfs": True}, "from 60 to 140"),
    ],
)
def test_bad_calibrations_are_one_line_errors(kwargs, match):
    with pytest.raises(OpenhearError, match=match):
        Calibration(**kwargs)
    with pytest.raises(OpenhearError, match=match):
        calibration_from_dict(kwargs)


@pytest.mark.parametrize("reading", [5.0, 200.0, math.inf, "loud", None])
def test_implausible_meter_readings_are_refused(reading):
    with pytest.raises(OpenhearError, match="meter reading"):
        calibration_from_meter("circumaural", reading)


def test_calibration_from_a_non_object_is_refused():
    with pytest.raises(OpenhearError, match="JSON object"):
        calibration_from_dict([100])
