"""The SIP account: address, registrar, user name, transport, and a password kept out of sight.

The account lives in `sip-account.json` in the data directory, mode 0600 (`openhear call --setup`
writes it). The password is never taken from the command line and never logged: it comes from the
environment variable `OPENHEAR_SIP_PASSWORD` (which wins) or from the account file. A file that
other users could read is refused rather than used.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path

from openhear.calls import CallError
from openhear.calls.address import check_sip_uri, sip_domain, sip_user
from openhear.paths import data_dir, private_dir, write_private_text

ACCOUNT_FILE = "sip-account.json"
"""File name of the SIP account inside the data directory."""
PASSWORD_ENV = "OPENHEAR_SIP_PASSWORD"
"""Environment variable holding the account's password (it wins over the file's)."""
TRANSPORTS = ("udp", "tcp", "tls")
"""SIP transports an account may use; TLS is TLS 1.2 at most (the pjsua2 wheel's OpenSSL 1.0.2)."""
SRTP_MODES = ("off", "optional", "required")
"""Whether the call's audio is encrypted (SRTP). Its keys travel in the SIP messages, so it is
offered only over TLS; 'required' needs the tls transport."""


@dataclass(frozen=True)
class SipAccount:
    """A SIP account at a provider (or a PBX)."""

    uri: str
    """The account's own address, e.g. sip:alice@example.com."""
    registrar: str = ""
    """Where to register, e.g. sip:example.com; '' for the address's domain."""
    user: str = ""
    """The user name to authenticate with; '' for the address's user part."""
    transport: str = "udp"
    """One of TRANSPORTS."""
    srtp: str = "optional"
    """One of SRTP_MODES; 'optional' encrypts (over TLS) when the other side can."""
    password: str = field(default="", repr=False)
    """The password (never shown, never logged); '' if none is known."""

    def __post_init__(self) -> None:
        check_sip_uri(self.uri)
        if self.registrar:
            check_sip_uri(self.registrar)
        if self.transport not in TRANSPORTS:
            raise CallError(f"transport {self.transport!r} is not one of {', '.join(TRANSPORTS)}")
        if self.srtp not in SRTP_MODES:
            raise CallError(f"srtp {self.srtp!r} is not one of {', '.join(SRTP_MODES)}")
        if self.srtp == "required" and self.transport != "tls":
            raise CallError("encrypted audio (srtp required) needs the tls transport")

    @property
    def registrar_uri(self) -> str:
        """The registrar to use: the one given, else the address's domain."""
        scheme = "sips" if self.uri.lower().startswith("sips:") else "sip"
        return self.registrar or f"{scheme}:{sip_domain(self.uri)}"

    @property
    def user_name(self) -> str:
        """The user name to authenticate with: the one given, else the address's user part."""
        return self.user or sip_user(self.uri)


def account_path() -> Path:
    """Where the SIP account is kept."""
    return data_dir() / ACCOUNT_FILE


def load_account(path: Path | None = None) -> SipAccount | None:
    """The configured account (None if there is none), its password from PASSWORD_ENV or the file.

    A file other users can read or write, or one that is not a valid account, is a CallError."""
    path = path or account_path()
    try:
        st = path.stat()
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise CallError(f"cannot read the SIP account {path} ({exc})") from None
    if st.st_mode & 0o077:
        raise CallError(
            f"the SIP account {path} can be read by other users "
            f"(mode {stat.S_IMODE(st.st_mode):o}): run `chmod 600 {path}` "
            "or `openhear call --setup`"
        )
    try:
        fields = json.loads(text)
        if not isinstance(fields, dict):
            raise ValueError("not a JSON object")
        known = {k: str(v) for k, v in fields.items() if k in SipAccount.__dataclass_fields__}
        account = SipAccount(**known)
    except (ValueError, TypeError, CallError) as exc:
        raise CallError(
            f"the SIP account {path} is not valid ({exc}): run `openhear call --setup`"
        ) from None
    password = os.environ.get(PASSWORD_ENV)
    if password:
        account = SipAccount(**{**asdict(account), "password": password})
    return account


def save_account(account: SipAccount, path: Path | None = None) -> Path:
    """Write the account (with its password, if any) as a 0600 file, atomically; its path."""
    path = path or account_path()
    try:
        private_dir(path.parent)
        write_private_text(path, json.dumps(asdict(account), indent=2) + "\n")
    except OSError as exc:
        raise CallError(f"cannot save the SIP account to {path} ({exc.strerror})") from None
    return path
