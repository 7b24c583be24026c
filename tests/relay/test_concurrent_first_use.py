"""Several processes using one data directory at once, even an empty one, lose no write.

Each child imports the CLI first, then waits for a shared start signal, so the processes really
meet at the moment they create the schema (without the signal, their import times spread them out
and the race is rarely hit). They run the real `openhear` command line (`main`) in real processes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openhear.relay.store import TranscriptStore
from openhear.tts.phrasebook import Phrasebook

CHILD = r"""
import sys, time
from pathlib import Path

from openhear.cli import main
import openhear.commands.phrases, openhear.relay.store, openhear.tts.phrasebook  # loaded first

start, index, kind, name = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
start.with_name(f"{start.name}.{index}").touch()  # ready
while not start.exists():
    time.sleep(0.001)
if kind == "phrase":
    sys.exit(main(["phrases", "add", name, "text of " + name]))
with openhear.relay.store.TranscriptStore() as store:
    c = store.create_conversation(name)
    store.append(c.id, "them", 0.0, 1.0, "words of " + name)
"""


def run_together(data_dir: Path, jobs: list[tuple[str, str]]) -> list[subprocess.CompletedProcess]:
    """Start one child per (kind, name), release them at once, and wait for all of them."""
    start = data_dir.parent / "start"
    env = {**os.environ, "OPENHEAR_DATA_DIR": str(data_dir)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(start), str(i), kind, name],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, (kind, name) in enumerate(jobs)
    ]
    ready = [start.with_name(f"start.{i}") for i in range(len(jobs))]
    deadline = time.monotonic() + 120
    while not all(r.exists() for r in ready):
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        assert time.monotonic() < deadline, "the children did not start"
        time.sleep(0.01)
    start.touch()
    results = []
    for p, args in zip(procs, jobs, strict=True):
        out, err = p.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(args, p.returncode, out, err))
    return results


@pytest.mark.parametrize("trial", range(3))
def test_processes_creating_both_databases_at_once_lose_nothing(tmp_path, trial):
    data = tmp_path / "data"
    phrases = [("phrase", f"phrase{i}") for i in range(4)]
    conversations = [("conversation", f"talk{i}") for i in range(4)]
    results = run_together(data, phrases + conversations)
    assert [(r.returncode, r.stderr) for r in results] == [(0, "")] * len(results)
    with Phrasebook(data / "phrases.sqlite3") as book:
        assert sorted(p.name for p in book.list()) == [name for _, name in phrases]
    with TranscriptStore(data / "transcripts.sqlite3") as store:
        saved = store.list_conversations()
        assert sorted(c.title for c in saved) == [name for _, name in conversations]
        assert [c.entries for c in saved] == [1] * len(conversations)


def test_one_name_added_by_several_processes_at_once_is_saved_once(tmp_path):
    data = tmp_path / "data"
    results = run_together(data, [("phrase", "same")] + [("phrase", "SAME")] * 5)
    winners = [r for r in results if r.returncode == 0]
    losers = [r for r in results if r.returncode != 0]
    assert len(winners) == 1
    for r in losers:
        assert r.returncode == 1
        assert r.stderr.count("\n") == 1, r.stderr
        assert re.search(r"a phrase named '(same|SAME)' already exists", r.stderr), r.stderr
        assert "damaged" not in r.stderr and "move it aside" not in r.stderr
    with Phrasebook(data / "phrases.sqlite3") as book:
        assert len(book.list()) == 1
