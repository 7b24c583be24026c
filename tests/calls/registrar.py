"""A minimal SIP registrar for tests, on UDP 127.0.0.1: it challenges a REGISTER (digest, MD5, RFC
2617 without qop), answers 200 to the right password and 403 to a wrong one, and answers every
INVITE with 480 (nobody is there), so a call through the account fails in a known way."""

from __future__ import annotations

import hashlib
import re
import socket
import threading

REALM = "openhear-test"
NONCE = "5f2b1c0d9e8a7f6b"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class Registrar:
    """Runs on a thread from construction until `close`; `requests` lists the methods received."""

    def __init__(self, user: str, password: str):
        self.user, self.password = user, password
        self.requests: list[str] = []
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.port = self._socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._socket.recvfrom(65536)
            except TimeoutError:
                continue
            reply = self._answer(data.decode(errors="replace"))
            if reply:
                self._socket.sendto(reply.encode(), peer)

    def _answer(self, message: str) -> str:
        head = message.split("\r\n\r\n", 1)[0].split("\r\n")
        method = head[0].split(" ", 1)[0]
        self.requests.append(method)
        if method == "REGISTER":
            authorization = next((h for h in head if h.lower().startswith("authorization:")), "")
            if not authorization:
                challenge = (
                    f'WWW-Authenticate: Digest realm="{REALM}", nonce="{NONCE}", algorithm=MD5'
                )
                return self._response(head, "401 Unauthorized", [challenge])
            if self._authorized(authorization):
                return self._response(head, "200 OK", ["Expires: 300"])
            return self._response(head, "403 Forbidden")
        if method == "INVITE":
            return self._response(head, "480 Temporarily Unavailable")
        return ""  # ACK, and anything else: no answer

    def _authorized(self, header: str) -> bool:
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', header.split(":", 1)[1]))
        ha1 = _md5(f"{self.user}:{REALM}:{self.password}")
        ha2 = _md5(f"REGISTER:{fields.get('uri', '')}")
        return fields.get("username") == self.user and fields.get("response") == _md5(
            f"{ha1}:{NONCE}:{ha2}"
        )

    @staticmethod
    def _response(head: list[str], status: str, extra: list[str] | None = None) -> str:
        copied = [
            h
            for h in head[1:]
            if h.split(":", 1)[0].strip().lower() in ("via", "from", "call-id", "cseq")
        ]
        to = next(h for h in head[1:] if h.lower().startswith("to:"))
        if ";tag=" not in to:
            to += ";tag=registrar"
        lines = [f"SIP/2.0 {status}", *copied, to, *(extra or []), "Content-Length: 0"]
        return "\r\n".join(lines) + "\r\n\r\n"
