"""`openhear wyoming`: speech-to-text and text-to-speech for Home Assistant (Wyoming protocol)."""

from __future__ import annotations

import argparse
import sys

from openhear.errors import OpenhearError

DEFAULT_URI = "tcp://127.0.0.1:10300"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "wyoming",
        parents=[common],
        help="serve speech-to-text and text-to-speech to Home Assistant (Wyoming protocol)",
        description="Serve the captioner (ASR) and the voice (TTS) over the Wyoming protocol. "
        "One server offers both; Home Assistant's convention is ASR on port 10300 and TTS on "
        "10200, e.g. `openhear wyoming --only asr` and "
        "`openhear wyoming --only tts --uri tcp://127.0.0.1:10200`. Wyoming has no "
        "authentication: listen on another address than 127.0.0.1 only on a trusted network.",
    )
    p.add_argument(
        "--uri",
        default=DEFAULT_URI,
        help=f"where to listen: tcp://HOST:PORT, unix://PATH or stdio:// (default {DEFAULT_URI})",
    )
    p.add_argument(
        "--only",
        choices=("asr", "tts"),
        help="serve only speech-to-text (asr) or only text-to-speech (tts)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from wyoming.server import AsyncTcpServer

    from openhear.paths import data_dir
    from openhear.server.security import is_loopback
    from openhear.server.services import load_services
    from openhear.server.wyoming_server import handler_factory, server_for

    server = server_for(args.uri)
    asr, tts = args.only in (None, "asr"), args.only in (None, "tts")
    host = server.host if isinstance(server, AsyncTcpServer) else None  # unix and stdio are local
    if host is not None and not is_loopback(host):
        print(
            f"openhear: warning: Wyoming has no authentication; anyone who can reach {host} can "
            "use this server",
            file=sys.stderr,
        )
    services = load_services(data_dir(), captions=asr, speech=tts)
    offers = " and ".join(
        name for name, on in (("speech-to-text", asr), ("text-to-speech", tts)) if on
    )
    print(
        f"openhear wyoming: {offers} at {args.uri}  (Ctrl+C stops it)", file=sys.stderr, flush=True
    )
    try:
        asyncio.run(server.run(handler_factory(services, asr, tts)))
    except OSError as exc:
        raise OpenhearError(f"cannot listen on {args.uri} ({exc.strerror or exc})") from None
    except KeyboardInterrupt:
        print("openhear wyoming: stopped", file=sys.stderr, flush=True)
    return 0
