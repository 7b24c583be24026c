"""Privacy: the data directory and every file in it are the owner's alone whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from openhear.fitting.audiogram import preset
from openhear.fitting.profile import fit_listener, write_profile
from openhear.relay.store import TranscriptStore
from openhear.tts.phrasebook import Phrasebook


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000, 0o277], ids=["umask-022", "umask-000", "umask-277"])
def umask(request):
    """The process umask set to the parameter for the test (022 is the usual one)."""
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def test_the_data_directory_and_its_files_are_private_whatever_the_umask(umask, isolated_data_dir):
    with Phrasebook() as book, TranscriptStore() as store:
        book.add("hi", "Hello.")
        conversation = store.create_conversation("at the chemist")
        store.append(conversation.id, "them", 0.0, 1.0, "Your prescription is ready.")
        write_profile(fit_listener(preset("N3")), isolated_data_dir / "fitting-profile.json")
        write_profile(fit_listener(preset("N2")), isolated_data_dir / "fitting-profile.json")
        files = {p.name: mode(p) for p in isolated_data_dir.iterdir()}  # -wal, -shm while open
    assert mode(isolated_data_dir) == 0o700
    assert {
        "phrases.sqlite3",
        "phrases.sqlite3-wal",
        "phrases.sqlite3-shm",
        "transcripts.sqlite3",
        "transcripts.sqlite3-wal",
        "fitting-profile.json",
    } <= set(files)
    assert files == dict.fromkeys(files, 0o600)


def test_files_left_readable_by_an_older_version_are_made_private(isolated_data_dir):
    with Phrasebook() as book:
        book.add("hi", "Hello.")
    isolated_data_dir.chmod(0o755)
    (isolated_data_dir / "phrases.sqlite3").chmod(0o644)
    with Phrasebook() as book:
        assert [p.name for p in book.list()] == ["hi"]
        assert mode(isolated_data_dir / "phrases.sqlite3") == 0o600
    assert mode(isolated_data_dir) == 0o755  # a directory that exists is the user's to choose
