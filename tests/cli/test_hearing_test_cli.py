"""`openhear hearing-test`: a whole check through the stand-in card (a listener who hears what is
played), the saved audiogram that `openhear fit` uses, history, calibration, and one-line errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from listening_player import Ear, ListeningPlayer, VirtualKeys

from openhear.cli import main
from openhear.fitting.audiogram import Audiogram, Listener, load_listener
from openhear.fitting.hearing_levels import Calibration
from openhear.fitting.hearing_results import history
from openhear.fitting.profile import read_profile

OPENHEAR = str(Path(sys.executable).parent / "openhear")
MILD = Listener(
    Audiogram([250, 500, 1000, 2000, 4000, 8000], [10, 15, 20, 30, 40, 50]),
    Audiogram([250, 500, 1000, 2000, 4000, 8000], [10, 15, 20, 30, 40, 50]),
)


class ReadingAfterListening(io.StringIO):
    """Standard input whose line comes once the card has played a second of the tone (as a person
    types the meter reading after reading the meter)."""

    def __init__(self, card, text: str):
        super().__init__(text)
        self.card = card

    def readline(self, *args) -> str:
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            streams = self.card.streams
            if streams and np.count_nonzero(streams[-1].played()[:, 0]) > 48000:
                break
            time.sleep(0.01)
        return super().readline(*args)


def one_line_error(capsys, argv: list[str], match: str, code: int = 1) -> None:
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("openhear: error:") and match in err, err


@pytest.fixture
def listener_at_the_keys(standin_card, monkeypatch):
    """Returns use(truth, calibration): the command's player and keys replaced by a listener with
    these thresholds who hears what the (stand-in) card is handed, on a virtual clock."""
    standin_card(rate=48000)

    def use(truth: Listener, calibration: Calibration) -> Ear:
        ear = Ear(truth, calibration)
        ListeningPlayer.ear = ear
        monkeypatch.setattr("openhear.live.tone_player.TonePlayer", ListeningPlayer)
        monkeypatch.setattr(
            "openhear.live.hearing_session.TerminalKeys",
            lambda stream, on_stop: VirtualKeys(ear),
        )
        return ear

    yield use
    ListeningPlayer.ear = None


def test_a_check_saves_an_audiogram_that_fit_uses_with_its_calibration(
    listener_at_the_keys, tmp_path, capsys
):
    calibration = Calibration("supra-aural", 108.0, "stated")
    listener_at_the_keys(MILD, calibration)
    out = tmp_path / "me-audiogram.json"
    argv = ["hearing-test", "--headphone", "supra-aural", "--calibration", "108", "-o", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "not a diagnosis" in printed and "right ear, 1 kHz" in printed
    assert "right ear" in printed.split("dB HL")[-1] and "reliable" in printed
    doc = json.loads(out.read_text())
    record = doc["hearing_check"]
    assert record["headphone"] == "supra-aural"
    assert record["calibration"]["method"] == "stated" and record["calibration"]["calibrated"]
    assert "ISO 389-1" in record["calibration"]["reference"] and record["date"]
    measured = load_listener(out)
    for side in ("left", "right"):
        ear = measured.ear(side)
        for f, level in zip(ear.frequencies_hz, ear.levels_db_hl, strict=True):
            truth = float(MILD.ear(side).levels_at([f])[0])
            assert 0.0 <= level - truth < 5.0  # the next 5 dB step at or above the threshold
    assert out.stat().st_mode & 0o077 == 0  # health data: private
    assert len(history()) == 1
    profile_path = tmp_path / "p.json"
    assert main(["fit", "--audiogram", str(out), "-o", str(profile_path)]) == 0
    profile = read_profile(profile_path)
    assert profile.listener.left == measured.left and profile.db_spl_at_0dbfs == 108.0


def test_asymmetry_and_a_sudden_change_send_the_listener_to_an_audiologist(
    listener_at_the_keys, capsys
):
    listener_at_the_keys(MILD, Calibration())
    assert main(["hearing-test"]) == 0
    assert "see an audiologist" not in capsys.readouterr().out
    worse_right = Listener(
        MILD.left,
        Audiogram([250, 500, 1000, 2000, 4000, 8000], [10, 15, 40, 50, 60, 70]),
    )
    listener_at_the_keys(worse_right, Calibration())
    assert main(["hearing-test"]) == 0
    printed = capsys.readouterr().out
    assert "your ears differ by 15 dB or more" in printed
    assert "right ear: 15 dB or more worse than your check of" in printed
    assert "uncalibrated" in printed
    assert main(["hearing-test", "--history"]) == 0
    listing = capsys.readouterr().out.strip().splitlines()
    assert len(listing) == 2 and all("uncalibrated" in line for line in listing)
    # a corrupt file in the history is named and skipped; the readable checks are still listed
    corrupt = history()[0].path.with_name("hearing-check-20200101T000000.json")
    corrupt.write_text("{ not json")
    assert main(["hearing-test", "--history"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.strip().splitlines()) == 2
    assert f"skipped an unreadable hearing check: {corrupt}" in captured.err
    assert captured.err.count("\n") == 1


def test_history_of_only_corrupt_files_says_so(capsys):
    from openhear.fitting.hearing_results import history_dir

    directory = history_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hearing-check-20200101T000000.json").write_text("garbage")
    assert main(["hearing-test", "--history"]) == 0
    captured = capsys.readouterr()
    assert "no readable hearing checks" in captured.out and "kept yet" not in captured.out
    assert "hearing-check-20200101T000000.json" in captured.err


def test_calibrate_plays_the_calibration_tone_and_keeps_the_meter_reading(
    standin_card, monkeypatch, capsys
):
    card = standin_card(rate=48000)
    monkeypatch.setattr("sys.stdin", ReadingAfterListening(card, "86.5\n"))
    assert main(["hearing-test", "--calibrate", "--headphone", "circumaural"]) == 0
    printed = capsys.readouterr().out
    assert "106.5 dB SPL at 0 dBFS, measured with a sound-level meter" in printed
    played = card.streams[-1].played()
    sounding = np.flatnonzero(played[:, 0])
    steady = played[sounding[0] + 4800 : sounding[-1] - 4800, 0]  # ramps left out
    assert 20 * np.log10(np.sqrt(np.mean(steady**2))) == pytest.approx(-20.0, abs=0.1)
    assert not np.any(played[:, 1])
    # the reading ended the tone with a fall, not a click
    tail = played[sounding[-1] - 600 : sounding[-1] + 1, 0]
    assert np.max(np.abs(tail[-50:])) < 0.02 * np.max(np.abs(steady))
    # the next check uses it
    ear_calibration = Calibration("circumaural", 106.5, "sound-level-meter")
    from openhear.fitting.hearing_results import saved_calibration

    assert saved_calibration().db_spl_at_0dbfs == ear_calibration.db_spl_at_0dbfs


@pytest.mark.parametrize("reading, match", [("loud\n", "must be a number"), ("500\n", "plausible")])
def test_a_bad_meter_reading_is_a_one_line_error(standin_card, monkeypatch, capsys, reading, match):
    standin_card(rate=48000)
    monkeypatch.setattr("sys.stdin", io.StringIO(reading))
    assert main(["hearing-test", "--calibrate"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and match in err


def test_without_a_terminal_it_says_so_in_one_line(standin_card, capsys):
    standin_card(rate=48000)
    one_line_error(capsys, ["hearing-test"], "run it in a terminal")


@pytest.mark.parametrize(
    "args, match, code",
    [
        (["--headphone", "earbuds"], "unknown headphone class", 1),
        (["--first-ear", "middle"], "left or right", 1),
        (["--calibration", "500"], "from 60 to 140", 1),
        (["--calibrate", "--calibration", "100"], "do not give --calibration", 2),
        (["-o", "/nonexistent-dir/x.json"], "no such directory", 2),
        (["-o", "/"], "is a directory: give a file name", 2),  # was found after the check
    ],
)
def test_bad_options_are_one_line_errors(capsys, args, match, code):
    one_line_error(capsys, ["hearing-test", *args], match, code)


def test_a_damaged_saved_calibration_is_a_one_line_error(isolated_data_dir, capsys):
    isolated_data_dir.mkdir(parents=True, exist_ok=True)
    (isolated_data_dir / "hearing-calibration.json").write_text("{not json")
    one_line_error(capsys, ["hearing-test"], "--calibrate")


def test_no_sound_card_is_a_one_line_error_in_a_real_process(tmp_path):
    proc = subprocess.run(
        [OPENHEAR, "hearing-test"],
        capture_output=True,
        text=True,
        env={**os.environ, "OPENHEAR_DATA_DIR": str(tmp_path)},
    )
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("openhear: error:")
    assert "device" in proc.stderr or "PortAudio" in proc.stderr
