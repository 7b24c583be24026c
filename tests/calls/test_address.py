"""Whom to call and which keys to press: checked before the phone starts."""

from __future__ import annotations

import pytest

from openhear.calls import CallError
from openhear.calls.address import (
    call_target,
    check_sip_uri,
    dtmf_keys,
    over_tls,
    plain_uri,
    sip_domain,
    sip_user,
)


@pytest.mark.parametrize(
    "uri",
    [
        "sip:alice@example.com",
        "sip:bob@127.0.0.1:5082",
        "sips:carol@example.org;transport=tls",
        "sip:example.com",
        "sip:100@[::1]:5060",
    ],
)
def test_sip_addresses_are_taken_as_they_are(uri):
    assert check_sip_uri(f"  {uri} ") == uri


@pytest.mark.parametrize(
    "text",
    [
        "",
        "alice@example.com",
        "sip:",
        "sip:alice@",
        "sip:a b@host",
        "http://example.com",
        "sip:x@h:0",
    ],
)
def test_what_is_not_a_sip_address_is_one_clear_error(text):
    with pytest.raises(CallError, match="SIP address|out of range"):
        check_sip_uri(text)


def test_port_past_65535_is_refused():
    with pytest.raises(CallError, match="port 70000 is out of range"):
        check_sip_uri("sip:a@host:70000")


def test_a_number_is_dialled_through_the_account():
    assert call_target("+44 (20) 7946-0018", "sip:alice@voip.example.com") == (
        "sip:+442079460018@voip.example.com"
    )
    assert call_target("100", "sips:alice@pbx.local:5061") == "sips:100@pbx.local:5061"


def test_a_number_without_an_account_says_how_to_set_one_up():
    with pytest.raises(CallError, match="without a SIP account.*--setup"):
        call_target("0123456", None)


def test_parts_of_an_address():
    assert sip_domain("sip:alice@example.com:5070") == "example.com:5070"
    assert sip_user("sip:alice@example.com") == "alice"
    assert sip_user("sip:example.com") == ""


@pytest.mark.parametrize(
    ("line", "keys"),
    [("#1", "#1"), ("*", "*"), ("1 2 3", "123"), (" 0 ", "0"), ("**#", "**#")],
)
def test_lines_of_keypad_symbols_are_key_presses(line, keys):
    assert dtmf_keys(line) == keys


@pytest.mark.parametrize("line", ["Hello", "press 1", "1st floor", "#hashtag", "1-2", ""])
def test_other_lines_are_replies(line):
    assert dtmf_keys(line) is None


def test_the_address_in_a_header():
    assert plain_uri('"Bob" <sip:bob@example.com>;tag=1234') == "sip:bob@example.com"
    assert plain_uri("<sip:peer@127.0.0.1>") == "sip:peer@127.0.0.1"
    assert plain_uri("sip:peer@127.0.0.1;tag=5") == "sip:peer@127.0.0.1"


@pytest.mark.parametrize(
    ("uri", "tls"),
    [
        ("sips:alice@example.com", True),
        ("SIP:alice@example.com;transport=TLS", True),
        ("sip:alice@example.com;transport=tcp", False),
        ("sip:alice@example.com", False),
    ],
)
def test_which_addresses_ask_for_tls(uri, tls):
    assert over_tls(uri) is tls
