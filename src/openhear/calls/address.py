"""Whom to call and which keys to press: typed text checked before the phone starts.

A SIP address is `sip:user@host[:port][;params]` (or `sips:` for TLS end to end). Without an
address, a telephone number (digits, optionally `+`, spaces, dashes, dots, brackets) is dialled
through the configured account, as `sip:NUMBER@<the account's domain>`.

A typed line made only of `0-9`, `*` and `#` (spaces allowed) is a key press (DTMF), sent as
RFC 4733 telephone events; any other line is a reply to be spoken.
"""

from __future__ import annotations

import re

from openhear.calls import CallError

_SIP_URI = re.compile(
    r"^(?P<scheme>sips?):(?:(?P<user>[^@\s:;]+)(?::[^@\s]*)?@)?"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>\d{1,5}))?(?P<params>;[^\s?]*)?$",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"^\+?[0-9][0-9 ().-]*$")
_DTMF = re.compile(r"^[0-9*#][0-9*# ]*$")

DTMF_KEYS = "0123456789*#"
"""The keys of a telephone keypad that a typed line may press."""


def check_sip_uri(uri: str) -> str:
    """`uri` if it is a SIP address (sip:user@host[:port]); a CallError saying why if not."""
    uri = uri.strip()
    match = _SIP_URI.match(uri)
    if match is None:
        raise CallError(
            f"{uri!r} is not a SIP address: give sip:user@host[:port], "
            "or a telephone number with an account (openhear call --setup)"
        )
    port = match.group("port")
    if port is not None and not 0 < int(port) < 65536:
        raise CallError(f"{uri!r}: port {port} is out of range (1 to 65535)")
    return uri


def sip_domain(uri: str) -> str:
    """The host (and port) part of a SIP address, e.g. 'example.com' of 'sip:alice@example.com'."""
    match = _SIP_URI.match(check_sip_uri(uri))
    assert match is not None
    port = match.group("port")
    return match.group("host") + (f":{port}" if port else "")


def sip_user(uri: str) -> str:
    """The user part of a SIP address ('' if it has none)."""
    match = _SIP_URI.match(check_sip_uri(uri))
    assert match is not None
    return match.group("user") or ""


def call_target(text: str, account_uri: str | None) -> str:
    """The SIP address to dial for what the user typed: a SIP address as it is, or a telephone
    number through the account whose address is `account_uri` (None: no account)."""
    text = text.strip()
    if text.lower().startswith(("sip:", "sips:")):
        return check_sip_uri(text)
    if _NUMBER.match(text):
        if account_uri is None:
            raise CallError(
                f"cannot dial {text!r} without a SIP account: run `openhear call --setup`, "
                "or call a SIP address (sip:user@host[:port])"
            )
        number = re.sub(r"[ ().-]", "", text)
        scheme = "sips" if account_uri.lower().startswith("sips:") else "sip"
        return check_sip_uri(f"{scheme}:{number}@{sip_domain(account_uri)}")
    return check_sip_uri(text)


def over_tls(uri: str) -> bool:
    """Whether a SIP address asks for TLS (sips:, or ;transport=tls)."""
    match = _SIP_URI.match(check_sip_uri(uri))
    assert match is not None
    params = (match.group("params") or "").lower()
    return match.group("scheme").lower() == "sips" or ";transport=tls" in params


def plain_uri(header: str) -> str:
    """The address in a From/To header's value ('"Bob" <sip:bob@host>;tag=x' -> 'sip:bob@host')."""
    match = re.search(r"<([^>]*)>", header)
    return (match.group(1) if match else header.split(";", 1)[0]).strip()


def dtmf_keys(line: str) -> str | None:
    """The keys a typed line presses ('#1' -> '#1', '1 2 3' -> '123'); None if it is a reply."""
    line = line.strip()
    return line.replace(" ", "") if _DTMF.match(line) else None
