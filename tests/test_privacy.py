"""Privacy: the data directory and every file in it are the owner's alone whatever the umask, and
loading real models writes nothing to the user's home (no library telemetry)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from openhear.fitting.audiogram import preset
from openhear.fitting.profile import fit_listener, write_profile
from openhear.privacy import TELEMETRY_OFF
from openhear.relay.store import TranscriptStore
from openhear.tts.phrasebook import Phrasebook

SPEECH = Path(__file__).parent / "data" / "speech" / "cmu_arctic_aew_a0001.wav"


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


CI_MARKERS = ("CI", "CONTINUOUS_INTEGRATION", "GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD", "BUILD_ID")
"""Variables that say "this is a CI run": onnxruntime writes nothing when CI is set (seen with
1.32), so the check must run without them to see what a user's machine would get."""


def _fresh_home(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """An empty HOME, no XDG overrides or data directory, and every telemetry switch set to "on"."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("XDG_") and k not in ("OPENHEAR_DATA_DIR", *CI_MARKERS)
    }
    env.update({name: "0" for name in TELEMETRY_OFF}, HOME=str(home))
    return home, env


def _written(home: Path) -> list[str]:
    return sorted(str(p.relative_to(home)) for p in home.rglob("*"))


def test_the_check_sees_what_onnxruntime_writes_when_openhear_does_not_switch_it_off(tmp_path):
    home, env = _fresh_home(tmp_path)
    subprocess.run([sys.executable, "-c", "import onnxruntime"], env=env, check=True, timeout=120)
    assert any("Microsoft" in p for p in _written(home)), _written(home)


def test_loading_real_models_writes_nothing_to_the_home_directory(tmp_path):
    home, env = _fresh_home(tmp_path)
    caption = subprocess.run(
        [sys.executable, "-m", "openhear", "caption", str(SPEECH)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert caption.returncode == 0 and len(caption.stdout.split()) >= 3, caption
    speak = subprocess.run(
        [sys.executable, "-m", "openhear", "speak", "Hello there.", "-o", str(tmp_path / "a.wav")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert speak.returncode == 0 and (tmp_path / "a.wav").stat().st_size > 10_000, speak
    assert _written(home) == []


def test_importing_openhear_switches_telemetry_off_over_the_users_settings(tmp_path):
    _, env = _fresh_home(tmp_path)
    code = "import os, openhear; print({k: os.environ[k] for k in openhear.privacy.TELEMETRY_OFF})"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == str(TELEMETRY_OFF)
