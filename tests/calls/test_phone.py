"""The phone's SIP port: an automatic one is free for both UDP and TCP (SIP listens on both), even
when the first one tried is taken for TCP; a port the user gives and is taken is one line."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest

from openhear.calls import CallError, phone

pytest.importorskip("pjsua2", reason="SIP calls need the calls extra (scripts/setup.sh --test)")


@pytest.fixture
def tcp_taken() -> Iterator[int]:
    """A port on 127.0.0.1 held by a listening TCP socket (another program's), free for UDP."""
    port = phone.free_sip_port("127.0.0.1")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", port))
        held.listen()
        yield port


def test_an_automatic_port_taken_for_tcp_after_the_check_is_passed_over(tcp_taken, monkeypatch):
    """The race: the port was free for both when checked, then a TCP socket took it before the
    phone listened (as an outgoing connection of any program on a busy machine may)."""
    checked: list[int] = []
    free_sip_port = phone.free_sip_port

    def check(bind_address: str = "") -> int:
        port = tcp_taken if not checked else free_sip_port(bind_address)
        checked.append(port)
        return port

    monkeypatch.setattr(phone, "free_sip_port", check)
    with phone.Phone(phone.PhoneOptions(bind_address="127.0.0.1")) as ours:
        assert checked[0] == tcp_taken
        assert ours.local_port == checked[-1] != tcp_taken


def test_a_port_given_that_is_taken_for_tcp_is_one_line(tcp_taken):
    options = phone.PhoneOptions(port=tcp_taken, bind_address="127.0.0.1")
    message = f"cannot listen for SIP (TCP) on 127.0.0.1 port {tcp_taken}: Address already in use"
    with pytest.raises(CallError, match=re.escape(message)):
        phone.Phone(options).start()
