"""The SIP account: readable only by its owner, the password never shown, bad files refused."""

from __future__ import annotations

import io
import json
import stat

import pytest

from openhear.calls import CallError
from openhear.calls.account import (
    PASSWORD_ENV,
    SipAccount,
    account_path,
    load_account,
    save_account,
)
from openhear.cli import main

SECRET = "correct horse battery staple"


def test_setup_saves_the_account_0600_and_never_shows_the_password(monkeypatch, capsys):
    answers = "sip:alice@voip.example.com\n\n\ntls\nrequired\n" + SECRET + "\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(answers))
    assert main(["call", "--setup"]) == 0
    out, err = capsys.readouterr()
    assert SECRET not in out + err
    path = account_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    account = load_account()
    assert account == SipAccount(
        "sip:alice@voip.example.com", "sip:voip.example.com", "alice", "tls", "required", SECRET
    )
    assert SECRET not in repr(account)


def test_the_environment_password_wins_over_the_file(monkeypatch):
    save_account(SipAccount("sip:alice@example.com", password="old"))
    monkeypatch.setenv(PASSWORD_ENV, "new")
    assert load_account().password == "new"


def test_no_account_file_means_no_account():
    assert load_account() is None


def test_a_file_others_can_read_is_refused():
    path = save_account(SipAccount("sip:alice@example.com", password=SECRET))
    path.chmod(0o644)
    with pytest.raises(CallError, match="can be read by other users.*chmod 600"):
        load_account()


@pytest.mark.parametrize(
    "content",
    ["not json", "[1, 2]", json.dumps({"uri": "alice"}), json.dumps({"transport": "udp"})],
)
def test_a_damaged_account_file_is_one_line_error(content):
    path = account_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(CallError, match="is not valid") as caught:
        load_account()
    assert "\n" not in str(caught.value)


def test_setup_with_a_bad_answer_saves_nothing(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("sip:alice@example.com\n\n\ncarrier pigeon\n\n\n"))
    assert main(["call", "--setup"]) == 1
    assert "transport 'carrier pigeon' is not one of udp, tcp, tls" in capsys.readouterr().err
    assert not account_path().exists()


def test_setup_cut_short_saves_nothing(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("sip:alice@example.com\n"))
    assert main(["call", "--setup"]) == 1
    assert "setup cancelled" in capsys.readouterr().err
    assert not account_path().exists()


def test_an_account_without_a_password_is_an_error_before_any_call(monkeypatch, capsys):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    save_account(SipAccount("sip:alice@example.com"))
    assert main(["call", "100"]) == 1
    err = capsys.readouterr().err
    assert f"no password for sip:alice@example.com: set {PASSWORD_ENV}" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "say whom to call"),
        (["sip:a@b", "--answer"], "say whom to call"),
        (["--setup", "sip:a@b"], "--setup saves the account only"),
        (["sip:a@b", "--timeout", "0"], "--timeout needs a positive number"),
        (["sip:a@b", "--duration", "-1"], "--duration needs a positive number"),
        (["sip:a@b", "--port", "70000"], "--port 70000 is out of range"),
        (["sip:a@b", "--profanity-mask", "some"], "unknown --profanity-mask 'some'"),
        (["sip:a@b", "--model", "tiny.en", "--language", "fr"], "needs --model base"),
    ],
)
def test_usage_errors(args, message, capsys):
    assert main(["call", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_bad_address_is_one_line_before_anything_loads(capsys):
    assert main(["call", "--no-account", "alice at example dot com"]) == 1
    err = capsys.readouterr().err
    assert "is not a SIP address" in err and err.count("\n") == 1
