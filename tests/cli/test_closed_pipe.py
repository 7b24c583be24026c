"""A reader that goes away (`openhear ... | head`) is a normal end: every streaming command then
exits 0 (or 141) without a word: no traceback, no abort of a model's native thread at exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from openhear.cli import main
from openhear.relay.store import TranscriptStore

pytestmark = pytest.mark.slow
OPENHEAR = str(Path(sys.executable).parent / "openhear")
TEXT = "Hello there. How are you today? I am fine."
SHORT_ID = "cmu_arctic_aew_a0003"  # 3.5 s of read speech


def assert_quiet_end(returncode: int, stderr: bytes) -> None:
    err = stderr.decode(errors="replace")
    assert returncode in (0, 141), err
    for sign in ("Traceback", "terminate called", "Exception ignored", "error"):
        assert sign not in err, err


def users_environment() -> dict[str, str]:
    """This environment as a user's shell has it: stdout block-buffered (PYTHONUNBUFFERED unset),
    so short output reaches the pipe only when flushed at the end."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def into_closed_pipe(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess:
    """The real command with stdout a pipe whose reader has already gone (a `| head` that quit)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [OPENHEAR, *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            input=stdin,
            env=users_environment(),
            timeout=300,
        )
    finally:
        os.close(write_end)


@pytest.fixture
def short_speech(manifest) -> Path:
    return next(u for u in manifest if u.id == SHORT_ID).path


def saved_conversation(lines: int) -> int:
    with TranscriptStore() as store:
        c = store.create_conversation("shop")
        for i in range(lines):
            store.append(c.id, "them", i, i + 0.5, f"Line {i} of the conversation.")
        return c.id


@pytest.mark.parametrize("raw_speech", [["speak", TEXT], ["phrases", "speak", "hello"]])
def test_raw_speech_into_head_ends_quietly(tmp_path, raw_speech):
    """The reported case: `openhear speak ... --raw | head -c 1000` aborted with SIGABRT."""
    assert main(["phrases", "add", "hello", TEXT]) == 0
    err = tmp_path / "stderr"
    command = " ".join(f"'{a}'" for a in [OPENHEAR, *raw_speech, "--raw"])
    shell = f'{command} 2>"{err}" | head -c 1000 >/dev/null; echo "${{PIPESTATUS[0]}}"'
    status = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=300)
    assert_quiet_end(int(status.stdout), err.read_bytes())


@pytest.mark.parametrize(
    "args",
    [["speak", TEXT, "--raw"], ["phrases", "speak", "hello", "--raw"]],
    ids=["speak", "phrases-speak"],
)
def test_raw_speech_into_a_closed_pipe_ends_quietly(args):
    assert main(["phrases", "add", "hello", TEXT]) == 0
    proc = into_closed_pipe(args)
    assert_quiet_end(proc.returncode, proc.stderr)


def test_speech_of_typed_lines_ends_quietly_while_the_typist_is_still_there():
    """`speak -` with stdin still open: the voice waits on stdin for the next line, yet the
    command ends when its reader has gone instead of waiting for more typing."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = subprocess.Popen(
        [OPENHEAR, "speak", "-", "--raw"],
        stdin=subprocess.PIPE,
        stdout=write_end,
        stderr=subprocess.PIPE,
    )
    os.close(write_end)
    try:
        proc.stdin.write(b"Hello.\n")
        proc.stdin.flush()
        returncode = proc.wait(timeout=120)  # stdin stays open all the while
        assert_quiet_end(returncode, proc.stderr.read())
    finally:
        proc.stdin.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()


@pytest.mark.parametrize("mode", ["file", "realtime", "stdin"])
def test_captions_into_a_closed_pipe_end_quietly(short_speech, mode):
    if mode == "stdin":
        audio, rate = sf.read(short_speech, dtype="int16")
        assert rate == 16000
        proc = into_closed_pipe(["caption", "-"], stdin=np.asarray(audio, "<i2").tobytes())
    else:
        proc = into_closed_pipe(
            ["caption", str(short_speech)] + (["--realtime"] * (mode != "file"))
        )
    assert_quiet_end(proc.returncode, proc.stderr)


@pytest.mark.parametrize("action", ["show", "export"])
@pytest.mark.parametrize("lines", [2, 2000])  # written at exit; written while running
def test_transcripts_into_a_closed_pipe_end_quietly(action, lines):
    proc = into_closed_pipe(["transcripts", action, str(saved_conversation(lines))])
    assert_quiet_end(proc.returncode, proc.stderr)


def test_a_conversation_into_a_closed_pipe_ends_quietly_and_what_was_heard_is_saved(
    short_speech,
):
    args = ["converse", str(short_speech), "--replies", os.devnull, "--no-disclosure"]
    proc = into_closed_pipe(args)
    assert_quiet_end(proc.returncode, proc.stderr)
    with TranscriptStore() as store:
        (conversation,) = store.list_conversations()
        entries = store.get(conversation.id).entries
    assert entries and all(e.speaker == "them" and e.text for e in entries)


@pytest.mark.parametrize("args", [["alerts", "--list-sounds"], ["speak", "--info"]])
def test_a_full_disk_on_stdout_is_a_one_line_error(args):
    """`> /dev/full` was an internal error (OSError: No space left on device)."""
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [OPENHEAR, *args], stdout=full, stderr=subprocess.PIPE, env=users_environment()
        )
    err = proc.stderr.decode()
    assert proc.returncode == 1
    assert err == "openhear: error: cannot write the output (No space left on device)\n", err
