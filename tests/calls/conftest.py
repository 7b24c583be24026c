"""Real SIP calls on 127.0.0.1: the far end is tests/calls/sip_peer.py (pjsua2 alone) in its own
process, openhear is the real `openhear call` command in another; both on ports chosen here."""

from __future__ import annotations

import codecs
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from openhear.calls.phone import free_sip_port

PEER = Path(__file__).parent / "sip_peer.py"
OPENHEAR = str(Path(sys.executable).parent / "openhear")
WAIT_S = 120.0
"""Generous bound on any one wait: a loaded machine is slow, a hung test still ends."""


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (SIP listens on both)."""
    port = free_sip_port("127.0.0.1")
    assert port, "no port free for both UDP and TCP on 127.0.0.1"
    return port


class Lines:
    """A process's output, read on a thread as it comes, to be waited for: whole lines, and the
    line being written (their captions stay on a line while their sentence goes on)."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self.partial = ""
        """The line written so far, not yet ended."""
        self._new = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        for chunk in iter(lambda: stream.buffer.read1(4096), b""):
            *ended, partial = (self.partial + decoder.decode(chunk)).split("\n")
            with self._new:
                self.lines += ended
                self.partial = partial
                self._new.notify_all()
        with self._new:
            if self.partial:
                self.lines.append(self.partial)
            self.partial = ""
            self._new.notify_all()

    def shown(self) -> list[str]:
        """The lines so far, the one being written included."""
        with self._new:
            return [*self.lines, self.partial] if self.partial else list(self.lines)

    def wait_for(self, wanted: Callable[[str], bool], timeout_s: float = WAIT_S) -> str:
        """The first line that is `wanted` (waiting for it); an AssertionError after the timeout."""
        deadline = time.monotonic() + timeout_s
        with self._new:
            while True:
                for line in [*self.lines, self.partial] if self.partial else self.lines:
                    if wanted(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():  # no more lines will come
                    raise AssertionError(f"no such line in: {self.lines}")
                self._new.wait(min(left, 0.5))

    def finish(self) -> list[str]:
        self._thread.join(WAIT_S)
        return self.lines


class Peer:
    """The far end: `event(name)` waits for one of its reports, `wait(done)` for a condition on
    them; `command(name)`, `hang_up()`; `finish()`."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, str(PEER), "--port", str(self.port), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._out = Lines(self.process.stdout)
        self.event("ready")

    @property
    def uri(self) -> str:
        return f"sip:peer@127.0.0.1:{self.port}"

    def events(self, name: str) -> list[dict]:
        reports = [json.loads(line) for line in self._out.lines if line.startswith("{")]
        return [r for r in reports if r["event"] == name]

    def event(self, name: str, timeout_s: float = WAIT_S) -> dict:
        line = self._out.wait_for(lambda line: f'"event": "{name}"' in line, timeout_s)
        return json.loads(line)

    def wait(self, done: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
        """Wait until `done()` (checked at each of its reports)."""
        self._out.wait_for(lambda _: done(), timeout_s)

    def command(self, name: str) -> None:
        """hangup, hold or resume (sip_peer.py's commands)."""
        self.process.stdin.write(f"{name}\n")
        self.process.stdin.flush()

    def hang_up(self) -> None:
        self.command("hangup")

    def finish(self) -> None:
        """Wait until it exits (it does when the call ends)."""
        self.process.stdin.close()
        assert self.process.wait(WAIT_S) == 0
        self._out.finish()


class Openhear:
    """`openhear call ARGS` with stdin a pipe (typed lines), stdout and stderr read as they come."""

    def __init__(self, *args: str, typed: str = "") -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [OPENHEAR, "call", "--bind", "127.0.0.1", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.out = Lines(self.process.stdout)
        self.err = Lines(self.process.stderr)
        if typed:
            self.type(typed)

    def type(self, text: str) -> None:
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def interrupt(self) -> None:
        """Ctrl-C."""
        self.process.send_signal(signal.SIGINT)

    def _close_stdin(self) -> None:
        try:
            self.process.stdin.close()
        except BrokenPipeError:
            pass

    def finish(
        self, timeout_s: float = WAIT_S, keep_typing: bool = False
    ) -> tuple[int, list[str], list[str]]:
        """(exit code, stdout lines, stderr lines) once it has exited; `keep_typing` leaves stdin
        open until then (a user at a terminal), else it is closed first."""
        if not keep_typing:
            self._close_stdin()
        code = self.process.wait(timeout_s)
        self._close_stdin()
        return code, self.out.finish(), self.err.finish()


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen]]:
    """Every process a test starts is killed at its end, whatever happened."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def peer(processes) -> Callable[..., Peer]:
    def start(*args: str) -> Peer:
        p = Peer(*args)
        processes.append(p.process)
        return p

    return start


@pytest.fixture
def openhear(processes) -> Callable[..., Openhear]:
    def start(*args: str, typed: str = "") -> Openhear:
        o = Openhear(*args, typed=typed)
        processes.append(o.process)
        return o

    return start
