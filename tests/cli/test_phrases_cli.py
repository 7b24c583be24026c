"""`openhear phrases`: add, list, speak, remove; unknown names and bad files
leave the data intact."""

from __future__ import annotations

import sqlite3

import soundfile as sf

from openhear.cli import main


def _one_line_error(capsys, argv, match):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("openhear: error:") and match in err, err


def test_add_list_speak_remove(capsys, tmp_path):
    assert main(["phrases", "add", "deaf", "I am deaf. Please write it down."]) == 0
    assert main(["phrases", "add", "thanks", "Thank you very much."]) == 0
    assert main(["phrases", "list"]) == 0
    out = capsys.readouterr().out
    assert (
        "1  deaf: I am deaf. Please write it down." in out
        and "2  thanks: Thank you very much." in out
    )
    for key in ("deaf", "2"):
        wav = tmp_path / f"{key}.wav"
        assert main(["phrases", "speak", key, "-o", str(wav)]) == 0
        assert sf.info(wav).duration > 0.5
    assert main(["phrases", "remove", "deaf"]) == 0
    capsys.readouterr()
    assert main(["phrases", "list"]) == 0
    assert "deaf" not in capsys.readouterr().out


def test_unknown_phrase_is_an_error_and_the_phrasebook_is_intact(capsys):
    main(["phrases", "add", "hi", "Hello."])
    for action in ("speak", "remove"):
        _one_line_error(capsys, ["phrases", action, "goodbye"], "no saved phrase 'goodbye'")
    _one_line_error(capsys, ["phrases", "speak", "7", "--raw"], "no saved phrase '7'")
    main(["phrases", "list"])
    assert "hi: Hello." in capsys.readouterr().out


def test_empty_phrase_and_duplicate_name_are_errors(capsys):
    _one_line_error(capsys, ["phrases", "add", "blank", "  "], "nothing to say")
    main(["phrases", "add", "hi", "Hello."])
    _one_line_error(capsys, ["phrases", "add", "hi", "Hi again."], "already exists")


def test_corrupt_phrasebook_is_reported_and_never_wiped(capsys, isolated_data_dir):
    isolated_data_dir.mkdir()
    db = isolated_data_dir / "phrases.sqlite3"
    db.write_bytes(b"\x00garbage" * 1000)
    _one_line_error(capsys, ["phrases", "add", "hi", "Hello."], "left untouched")
    _one_line_error(capsys, ["phrases", "list"], "left untouched")
    assert db.read_bytes() == b"\x00garbage" * 1000


def test_phrasebook_from_a_newer_version_is_reported_and_never_wiped(capsys, isolated_data_dir):
    main(["phrases", "add", "hi", "Hello."])
    db = isolated_data_dir / "phrases.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version=42")
    conn.close()
    before = db.read_bytes()
    _one_line_error(capsys, ["phrases", "speak", "hi", "--raw"], "newer openhear")
    assert db.read_bytes() == before


def test_read_only_data_directory_is_a_one_line_error(
    capsys, tmp_path, monkeypatch, make_read_only
):
    locked = make_read_only(tmp_path / "locked")
    monkeypatch.setenv("OPENHEAR_DATA_DIR", str(locked / "data"))
    _one_line_error(capsys, ["phrases", "add", "hi", "Hello."], "read-only")
