"""`openhear serve` as a user runs it: a real process that loads the models, prints its address
(with a generated token off loopback) and answers; bad arguments are one-line usage errors."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from openhear.cli import main

OPENHEAR = Path(sys.executable).with_name("openhear")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_off_loopback_prints_a_token_address_and_requires_the_token():
    port = free_port()
    proc = subprocess.Popen(
        [str(OPENHEAR), "serve", "--host", "0.0.0.0", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)/\?token=([\w-]+)", line)
        assert match, line + proc.stderr.read() if proc.poll() is not None else line
        base, token = match.groups()
        assert base == f"http://127.0.0.1:{port}" and len(token) >= 16
        assert httpx.get(f"{base}/api/health").status_code == 401
        health = httpx.get(
            f"{base}/api/health", headers={"authorization": f"Bearer {token}"}
        ).json()
        assert health["captions"]["available"] and health["speech"]["available"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    assert proc.returncode == 0
    assert "Traceback" not in proc.stderr.read()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["serve", "--port", "70000"], "--port must be 1 to 65535"),
        (["serve", "--max-sessions", "0"], "--max-sessions must be at least 1"),
        (["serve", "--token", "short"], "--token must be at least 16 characters"),
    ],
)
def test_bad_serve_arguments_are_one_line_usage_errors(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_port_in_use_is_a_one_line_error(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and len(err.strip().splitlines()) == 1
