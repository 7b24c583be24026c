"""Fitting profiles: JSON round trip, adjustments, and one-line errors for bad files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from openhear.errors import OpenhearError
from openhear.fitting.adjustments import SLIDER_RANGES, Adjustments
from openhear.fitting.audiogram import preset
from openhear.fitting.profile import (
    VERSION,
    fit_listener,
    profile_to_dict,
    read_profile,
    write_profile,
)


def test_round_trip(tmp_path):
    profile = fit_listener(
        preset("N3"),
        Adjustments(boost_db=3, tone_db=-2, noise_strength=0.5, noise_kind="spectral"),
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
        ("noise_strength", 1.5),
        ("noise_kind", "magic"),
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
    assert "version" in _edited(tmp_path, lambda d: d.update(version=[1]))
    assert "version" in _edited(tmp_path, lambda d: d.update(version=0))
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


def _version_1(profile) -> dict:
    """The JSON a version 1 openhear wrote for `profile` (the noise sliders had other names)."""
    data = profile_to_dict(profile)
    adjustments = data["adjustments"]
    adjustments["noise_reduction"] = adjustments.pop("noise_strength")
    adjustments["noise_suppression"] = adjustments.pop("noise_kind")
    return {**data, "version": 1}


def test_version_1_profiles_still_load_with_their_noise_settings(tmp_path):
    profile = fit_listener(
        preset("N3"), Adjustments(boost_db=4, noise_strength=0.7, noise_kind="rnnoise")
    )
    old = tmp_path / "v1.json"
    old.write_text(json.dumps(_version_1(profile)))
    assert read_profile(old) == profile
    write_profile(read_profile(old), tmp_path / "v2.json")  # saved again: the new version
    saved = json.loads((tmp_path / "v2.json").read_text())
    assert VERSION == 2 and saved["version"] == 2
    assert saved["adjustments"]["noise_kind"] == "rnnoise"
    assert "noise_reduction" not in saved["adjustments"]


def test_a_version_1_profile_with_a_bad_noise_setting_names_the_setting(tmp_path):
    data = _version_1(fit_listener(preset("N2")))
    data["adjustments"]["noise_suppression"] = "magic"
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(data))
    with pytest.raises(OpenhearError, match="noise_kind must be one of"):
        read_profile(path)


def test_old_slider_names_are_understood_but_not_both_names():
    moved = Adjustments().changed(noise_suppression="spectral", noise_reduction=0.3)
    assert (moved.noise_kind, moved.noise_strength) == ("spectral", 0.3)
    with pytest.raises(OpenhearError, match="old name of noise_strength"):
        Adjustments().changed(noise_reduction=0.3, noise_strength=0.4)


def test_every_numeric_slider_has_one_range_that_the_profile_enforces():
    numeric = {name for name, value in Adjustments().__dict__.items() if name != "noise_kind"}
    assert set(SLIDER_RANGES) == numeric
    for name, limits in SLIDER_RANGES.items():
        Adjustments(**{name: limits.low})
        Adjustments(**{name: limits.high})
        with pytest.raises(OpenhearError, match=f"{name} must be from"):
            Adjustments(**{name: limits.high + limits.step})
