"""Audiograms: presets, our JSON, Clarity JSON, CSV, and one-line errors for every bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from openhear.errors import OpenhearError
from openhear.fitting.audiogram import (
    PRESET_NAMES,
    Audiogram,
    listener_to_dict,
    load_listener,
    preset,
)

SHARED = Path(__file__).resolve().parents[1] / "data" / "audiograms" / "bisgaard_2010.json"
"""The reference table, a copy of the project's shared data kept with the tests."""
FREQS = [250, 500, 1000, 2000, 4000, 8000]
PTA_HZ = (500, 1000, 2000, 4000)


def test_every_preset_loads_by_name_with_both_ears_equal():
    for name in PRESET_NAMES:
        listener = load_listener(name.lower())
        assert listener.name == name
        assert listener.left == listener.right
        assert listener.left.frequencies_hz[0] <= 500 and listener.left.frequencies_hz[-1] >= 4000


def test_packaged_presets_equal_the_reference_table_and_grow_in_severity():
    table = json.loads(SHARED.read_text())
    assert sorted(PRESET_NAMES) == sorted(table["audiograms"])
    for name in PRESET_NAMES:
        ear = preset(name).left
        assert list(ear.frequencies_hz) == table["frequencies_hz"]
        assert list(ear.levels_db_hl) == table["audiograms"][name]["levels_db_hl"]
    for series in (["N1", "N2", "N3", "N4", "N5", "N6", "N7"], ["S1", "S2", "S3"]):
        # the four-frequency pure-tone average (500 Hz to 4 kHz) grows along each series
        pta = [
            np.mean([dict(zip(e.frequencies_hz, e.levels_db_hl, strict=True))[f] for f in PTA_HZ])
            for e in (preset(name).left for name in series)
        ]
        assert np.all(np.diff(pta) > 0), series


def test_own_json_round_trip(tmp_path):
    listener = load_listener("S2")
    path = tmp_path / "me.json"
    path.write_text(json.dumps(listener_to_dict(listener)))
    assert load_listener(path) == listener


def test_clarity_listener_and_listeners_file(tmp_path):
    one = {
        "name": "L0001",
        "audiogram_cfs": FREQS,
        "audiogram_levels_l": [10, 20, 30, 40, 50, 60],
        "audiogram_levels_r": [15, 25, 35, 45, 55, 65],
    }
    (tmp_path / "one.json").write_text(json.dumps(one))
    (tmp_path / "many.json").write_text(json.dumps({"L0001": one}))
    for name in ("one.json", "many.json"):
        listener = load_listener(tmp_path / name)
        assert listener.name == "L0001"
        assert listener.left.levels_db_hl == (10, 20, 30, 40, 50, 60)
        assert listener.right.levels_db_hl == (15, 25, 35, 45, 55, 65)


def test_csv(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "frequency,left,right\n"
        + "\n".join(f"{f},{i * 10},{i * 10 + 5}" for i, f in enumerate(FREQS))
    )
    listener = load_listener(path)
    assert listener.left.frequencies_hz == tuple(float(f) for f in FREQS)
    assert listener.right.levels_db_hl[-1] == 55


def test_levels_between_frequencies_follow_log_frequency():
    ear = Audiogram([500, 1000, 2000, 4000], [20, 40, 40, 60])
    assert ear.levels_at([250, 707.1, 8000]) == pytest.approx([20, 30, 60], abs=0.01)


def _clarity(**overrides):
    data = {"audiogram_cfs": FREQS, "audiogram_levels_l": [10] * 6, "audiogram_levels_r": [10] * 6}
    data.update(overrides)
    return json.dumps({k: v for k, v in data.items() if v is not None})


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("missing_ear.json", _clarity(audiogram_levels_r=None), "no right ear"),
        (
            "missing_ear_own.json",
            json.dumps({"left": {"frequencies_hz": FREQS, "levels_db_hl": [0] * 6}}),
            "no right ear",
        ),
        (
            "unsorted.json",
            _clarity(audiogram_cfs=[250, 1000, 500, 2000, 4000, 8000]),
            "must ascend",
        ),
        (
            "duplicate.json",
            _clarity(audiogram_cfs=[250, 500, 500, 2000, 4000, 8000]),
            "appears twice",
        ),
        (
            "loud.json",
            _clarity(audiogram_levels_l=[10, 10, 130, 10, 10, 10]),
            "outside -10 to 120 dB HL",
        ),
        (
            "quiet.json",
            _clarity(audiogram_levels_l=[10, -20, 10, 10, 10, 10]),
            "outside -10 to 120 dB HL",
        ),
        ("text.json", _clarity(audiogram_levels_l=[10, "x", 10, 10, 10, 10]), "must be numbers"),
        (
            "short.json",
            _clarity(audiogram_cfs=[250, 500, 1000, 2000, 3000, 3500]),
            "must reach at least 500 to 4000",
        ),
        ("length.json", _clarity(audiogram_levels_l=[10] * 5), "6 frequencies but 5 thresholds"),
        ("empty.json", "", "is empty"),
        ("blank.csv", "  \n\n", "is empty"),
        ("broken.json", '{"left": [', "not valid JSON"),
        ("garbage.json", "this is not an audiogram\n", "not valid JSON"),  # not a CSV error
        ("other.json", json.dumps({"hello": 1}), "not an audiogram"),
        (
            "nonnumeric.csv",
            "frequency,left,right\n500,10,10\n1000,ten,10\n4000,10,10\n",
            "is not a number",
        ),
        ("noright.csv", "frequency,left\n500,10\n4000,10\n", 'needs a "right" column'),
        ("gap.csv", "frequency,left,right\n500,10,\n4000,10,10\n", "has no right value"),
    ],
)
def test_bad_audiograms_are_one_line_errors(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(OpenhearError) as info:
        load_listener(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "source, message", [("N9", "no such audiogram file or preset"), ("/", "is a directory")]
)
def test_unknown_preset_or_path(source, message):
    with pytest.raises(OpenhearError, match=message):
        load_listener(source)
