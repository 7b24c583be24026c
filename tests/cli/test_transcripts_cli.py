"""`openhear transcripts`: list, show, export (validated with srt and webvtt-py), rm; bad ids and
files."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import srt
import webvtt

from openhear.cli import main
from openhear.relay.store import TranscriptStore

OPENHEAR = str(Path(sys.executable).parent / "openhear")
BEYOND_64_BITS = "99999999999999999999999"


def _one_line_error(capsys, argv, match):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("openhear: error:") and match in err, err


@pytest.fixture
def conversation_id():
    with TranscriptStore() as store:
        c = store.create_conversation("shop")
        store.append(c.id, "them", 0.4, 1.9, "What can I get you?")
        store.append(c.id, "me", 2.5, 4.0, "A loaf of bread, please.")
        return c.id


def test_list_and_show(capsys, conversation_id):
    assert main(["transcripts", "list"]) == 0
    assert "2 lines  shop" in capsys.readouterr().out
    assert main(["transcripts", "show", str(conversation_id)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "[0:00.4] them: What can I get you?",
        "[0:02.5] me: A loaf of bread, please.",
    ]


def test_one_line_is_not_plural(capsys):
    with TranscriptStore() as store:
        c = store.create_conversation("short")
        store.append(c.id, "them", 0.0, 1.0, "Hello.")
    assert main(["transcripts", "list"]) == 0
    assert " 1 line  short" in capsys.readouterr().out
    assert main(["transcripts", "rm", str(c.id)]) == 0
    assert f"deleted conversation {c.id} (1 line)" in capsys.readouterr().out


def test_list_and_show_print_no_terminal_escapes(capsys):
    with TranscriptStore() as store:
        c = store.create_conversation("shop\x1b]0;owned\x07")
        store.append(c.id, "them", 0.0, 1.0, "Hi\x1b[2J there\nand\x9b31m more")
    assert main(["transcripts", "list"]) == 0
    assert main(["transcripts", "show", str(c.id)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "shop]0;owned" in out and "them: Hi[2J there and31m more" in out


def test_export_every_format(capsys, tmp_path, conversation_id):
    cid = str(conversation_id)
    assert main(["transcripts", "export", cid, "-f", "vtt", "-o", str(tmp_path / "t.vtt")]) == 0
    vtt = webvtt.read(str(tmp_path / "t.vtt"))
    assert [(c.voice, c.text) for c in vtt.captions] == [
        ("Them", "What can I get you?"),
        ("Me", "A loaf of bread, please."),
    ]
    assert main(["transcripts", "export", cid, "-f", "srt"]) == 0
    subs = list(srt.parse(capsys.readouterr().out))
    assert [s.content for s in subs] == [
        "Them: What can I get you?",
        "Me: A loaf of bread, please.",
    ]
    assert main(["transcripts", "export", cid, "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["segments"][1]["speaker"] == "Me"
    assert main(["transcripts", "export", cid]) == 0
    assert capsys.readouterr().out.startswith("Them: What can I get you?\n")


def test_rm(capsys, conversation_id):
    assert main(["transcripts", "rm", str(conversation_id)]) == 0
    capsys.readouterr()
    _one_line_error(capsys, ["transcripts", "show", str(conversation_id)], "no transcript with id")


@pytest.mark.parametrize("action", [["show"], ["export"], ["rm"], ["export", "-f", "vtt"]])
@pytest.mark.parametrize("bad_id", ["999", "abc"])
def test_unknown_id_is_a_one_line_error_and_nothing_changes(
    capsys, conversation_id, action, bad_id
):
    argv = ["transcripts", action[0], bad_id, *action[1:]]
    _one_line_error(capsys, argv, "transcript")
    with TranscriptStore() as store:
        assert store.conversation(conversation_id).entries == 2


@pytest.mark.parametrize("action", ["show", "export", "rm"])
def test_an_id_beyond_64_bits_is_no_such_transcript_in_a_real_process(conversation_id, action):
    proc = subprocess.run(
        [OPENHEAR, "transcripts", action, BEYOND_64_BITS], capture_output=True, text=True
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == (
        f"openhear: error: no transcript with id {BEYOND_64_BITS}"
        " (see `openhear transcripts list`)\n"
    )
    with TranscriptStore() as store:
        assert store.conversation(conversation_id).entries == 2


def test_export_to_an_unwritable_path_is_a_one_line_error(capsys, conversation_id):
    _one_line_error(
        capsys,
        ["transcripts", "export", str(conversation_id), "-o", "/nonexistent/x.txt"],
        "cannot write",
    )


def test_corrupt_store_is_reported_and_never_wiped(capsys, isolated_data_dir):
    isolated_data_dir.mkdir()
    db = isolated_data_dir / "transcripts.sqlite3"
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    for argv in (["transcripts", "list"], ["transcripts", "rm", "1"]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "untouched" in err, err
    assert db.read_bytes() == b"SQLite format 3\x00" + b"\xff" * 5000


def test_store_from_a_newer_version_is_reported_and_never_wiped(
    capsys, isolated_data_dir, conversation_id
):
    db = isolated_data_dir / "transcripts.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version=3")
    conn.close()
    before = db.read_bytes()
    _one_line_error(capsys, ["transcripts", "rm", str(conversation_id)], "newer openhear")
    assert db.read_bytes() == before


def test_read_only_data_directory_is_a_one_line_error(
    capsys, conversation_id, isolated_data_dir, make_read_only
):
    make_read_only(isolated_data_dir)
    _one_line_error(capsys, ["transcripts", "list"], "read-only")
