"""Hearing-check results: the saved document, the history, and when to see an audiologist."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from openhear.errors import OpenhearError
from openhear.fitting.audiogram import Audiogram, Listener, load_listener
from openhear.fitting.audiometry import CheckOptions
from openhear.fitting.hearing_levels import Calibration
from openhear.fitting.hearing_results import (
    SavedCheck,
    check_calibration_db_spl,
    history,
    read_check,
    referrals,
    result_document,
    save_result,
)
from openhear.fitting.simulated_listener import (
    SimulatedListener,
    offset_listener,
    run_simulated_check,
)

FREQS = [250, 500, 1000, 2000, 4000, 8000]


def saved(left: list[float], right: list[float], date: str = "2026-12-01T10:00:00") -> SavedCheck:
    return SavedCheck(
        Listener(Audiogram(FREQS, left), Audiogram(FREQS, right)),
        date,
        Calibration(),
        {"left": (), "right": ()},
        True,
    )


def test_no_reason_to_refer_a_mild_symmetric_loss():
    assert referrals(saved([10, 15, 20, 30, 40, 50], [10, 15, 25, 30, 45, 50])) == []


def test_asymmetry_of_15_db_at_two_frequencies_refers():
    one = saved([10, 15, 20, 30, 40, 50], [10, 15, 20, 45, 40, 50])
    assert referrals(one) == []  # one frequency is not enough
    two = saved([10, 15, 20, 30, 40, 50], [10, 15, 20, 45, 55, 50])
    (reason,) = referrals(two)
    assert "differ by 15 dB or more at 2 kHz, 4 kHz" in reason


def test_thresholds_worse_than_70_db_hl_refer():
    (reason,) = referrals(saved([10, 15, 20, 30, 75, 75], [10, 15, 20, 30, 75, 75]))[:1]
    assert "worse than 70 dB HL at 4 kHz, 8 kHz" in reason


def test_a_change_of_15_db_at_two_frequencies_since_the_last_check_refers():
    before = saved([10, 15, 20, 30, 40, 50], [10, 15, 20, 30, 40, 50], "2026-11-01T10:00:00")
    now = saved([10, 15, 20, 30, 40, 50], [10, 15, 35, 45, 40, 50])
    reasons = referrals(now, before)
    assert any("right ear: 15 dB or more worse than your check of 2026-11-01" in r for r in reasons)
    better = saved([10, 15, 20, 30, 40, 50], [0, 0, 5, 10, 40, 50])
    assert not any("worse than your check" in r for r in referrals(better, before))


def test_the_document_is_an_audiogram_with_its_record_and_the_history_keeps_it(tmp_path):
    simulated = SimulatedListener(offset_listener("N3", 2), seed=2)
    calibration = Calibration("insert", 104.0, "sound-level-meter", "2026-12-01T09:00:00")
    result = run_simulated_check(simulated, calibration.max_level_db_hl, CheckOptions(seed=2))
    doc = result_document(result, calibration, datetime(2026, 12, 2, 11, 30))
    out = tmp_path / "me.json"
    kept = save_result(doc, out)
    assert load_listener(out) == result.listener("hearing check 2026-12-02")
    back = read_check(kept)
    assert back.calibration == calibration and back.date == "2026-12-02T11:30:00"
    assert check_calibration_db_spl(out) == 104.0
    assert json.loads(out.read_text())["hearing_check"]["note"].startswith("This is a screening")
    again = save_result(doc)  # the same minute twice: two files, none replaced
    assert again != kept and [c.path for c in history()] == [kept, again]
    assert kept.stat().st_mode & 0o077 == 0


def test_calibration_of_files_that_are_not_checks_is_none(tmp_path):
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"left": {}, "right": {}}))
    for source in ("N3", str(tmp_path / "missing.json"), str(plain)):
        assert check_calibration_db_spl(source) is None


def test_a_result_file_without_its_record_is_a_one_line_error(tmp_path):
    plain = tmp_path / "plain.json"
    ear = {"frequencies_hz": FREQS, "levels_db_hl": [10] * 6}
    plain.write_text(json.dumps({"left": ear, "right": ear}))
    with pytest.raises(OpenhearError, match="not a hearing-check result"):
        read_check(plain)


def test_an_unwritable_output_is_a_one_line_error(tmp_path, make_read_only):
    simulated = SimulatedListener(offset_listener("N2", 1), seed=1)
    result = run_simulated_check(simulated, Calibration().max_level_db_hl, CheckOptions(seed=1))
    doc = result_document(result, Calibration(), datetime(2026, 12, 2))
    locked = make_read_only(tmp_path / "locked")
    with pytest.raises(OpenhearError, match="cannot save the hearing-check result"):
        save_result(doc, locked / "me.json")


def test_an_output_that_cannot_be_written_never_loses_the_check(tmp_path):
    """`-o` naming a directory used to fail before the history was written: five minutes of
    listening gone. The history is written first, and the error says where the result is."""
    simulated = SimulatedListener(offset_listener("N2", 1), seed=1)
    result = run_simulated_check(simulated, Calibration().max_level_db_hl, CheckOptions(seed=1))
    doc = result_document(result, Calibration(), datetime(2026, 12, 2))
    with pytest.raises(OpenhearError, match="cannot save the hearing-check result.*it is kept in"):
        save_result(doc, tmp_path)
    [kept] = history()
    assert read_check(kept.path).date == doc["hearing_check"]["date"]
