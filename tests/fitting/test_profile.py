"""Fitting profiles: JSON round trip, adjustments, and one-line errors for bad files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from openhear.errors import OpenhearError
from openhear.fitting.adjustments import Adjustments
from openhear.fitting.audiogram import preset
from openhear.fitting.profile import (
    fit_listener,
    profile_to_dict,
    read_profile,
    write_profile,
)


def test_round_trip(tmp_path):
    profile = fit_listener(
        preset("N3"),
        Adjustments(boost_db=3, tone_db=-2, noise_reduction=0.5, noise_suppression="spectral"),
    )
    write_profile(profile, tmp_path / "p.json")
    assert read_profile(tmp_path / "p.json") == profile


def test_tone_tilts_and_balance_splits():
    centers = [250, 1000, 4000]
    tone = Adjustments(tone_db=6).offsets_db(centers, "left")
    assert (
        tone[0] == pytest.approx(-3)
        and tone[-1] == pytest.approx(3)
        and tone[1] == pytest.approx(0)
    )
    bal = Adjustments(balance_db=4, boost_db=2)
    assert np.allclose(bal.offsets_db(centers, "right"), 4) and np.allclose(
        bal.offsets_db(centers, "left"), 0
    )


@pytest.mark.parametrize(
    "field, value",
    [
        ("max_output_db_spl", 112),
        ("boost_db", 30),
        ("noise_reduction", 1.5),
        ("noise_suppression", "magic"),
        ("tone_db", "loud"),
    ],
)
def test_adjustments_out_of_range(field, value):
    with pytest.raises(OpenhearError, match=field):
        Adjustments(**{field: value})


def _edited(tmp_path, edit) -> str:
    data = profile_to_dict(fit_listener(preset("N2")))
    edit(data)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    with pytest.raises(OpenhearError) as info:
        read_profile(path)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_bad_profiles_are_one_line_errors(tmp_path):
    assert "version" in _edited(tmp_path, lambda d: d.update(version=99))
    assert "not an openhear fitting profile" in _edited(tmp_path, lambda d: d.pop("format"))
    assert 'no "right"' in _edited(tmp_path, lambda d: d.pop("right"))
    assert "ratio" in _edited(tmp_path, lambda d: d["left"][0].update(ratio=0.5))
    assert "unknown field 'volume'" in _edited(
        tmp_path, lambda d: d["adjustments"].update(volume=3)
    )
    assert "missing field 'gain_db'" in _edited(tmp_path, lambda d: d["left"][2].pop("gain_db"))
    assert "max_output_db_spl" in _edited(
        tmp_path, lambda d: d["adjustments"].update(max_output_db_spl=130)
    )
    assert "at least 8 bands" in _edited(tmp_path, lambda d: d.update(left=d["left"][:3]))
    assert "no right ear" in _edited(tmp_path, lambda d: d["listener"].pop("right"))


@pytest.mark.parametrize(
    "text, message", [("", "is empty"), ("{", "not valid JSON"), ("[1]", "JSON object")]
)
def test_unreadable_profiles(tmp_path, text, message):
    path = tmp_path / "p.json"
    path.write_text(text)
    with pytest.raises(OpenhearError, match=message):
        read_profile(path)
    with pytest.raises(OpenhearError, match="no such fitting profile"):
        read_profile(tmp_path / "missing.json")
