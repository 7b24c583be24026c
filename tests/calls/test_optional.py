"""SIP is an optional extra: no other path imports pjsua2; without it `call` says what to do."""

from __future__ import annotations

import subprocess
import sys

from openhear.cli import main


def test_the_default_paths_never_import_pjsua2():
    probe = (
        "import sys; from openhear.cli import build_parser; build_parser(); "
        "import openhear.calls.relay, openhear.calls.account; "
        "print('pjsua2' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_without_pjsua2_a_call_is_one_line_saying_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pjsua2", None)  # as if not installed
    assert main(["call", "--no-account", "sip:bob@127.0.0.1:5062"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "openhear: error: SIP calls need pjsua2: install openhear with the calls extra "
        "(pip install 'openhear[calls]')\n"
    )
