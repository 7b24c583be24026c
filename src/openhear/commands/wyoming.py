"""`openhear wyoming`: speech-to-text and text-to-speech for Home Assistant (Wyoming protocol)."""

from __future__ import annotations

import argparse
import math
import sys

from openhear.commands._shared import add_model_arguments, model_choice
from openhear.errors import OpenhearError, UsageError

DEFAULT_URI = "tcp://127.0.0.1:10300"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "wyoming",
        parents=[common],
        help="serve speech-to-text and text-to-speech to Home Assistant (Wyoming protocol)",
        description="Serve the captioner (ASR) and the voice (TTS) over the Wyoming protocol. One "
        "server offers both; Home Assistant's convention is ASR on port 10300 and TTS on 10200, "
        "e.g. `openhear wyoming --only asr` and "
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
    p.add_argument(
        "--read-timeout",
        type=float,
        metavar="SECONDS",
        help="close a connection that sends nothing for SECONDS, with an error event (default 30)",
    )
    p.add_argument(
        "--zeroconf",
        nargs="?",
        const="openhear",
        metavar="NAME",
        help="announce the server on the local network (mDNS) so Home Assistant discovers it, "
        "under NAME (default openhear); needs a tcp:// --uri on an address the network reaches",
    )
    add_model_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from wyoming.server import AsyncTcpServer

    from openhear.paths import data_dir
    from openhear.server.security import is_loopback
    from openhear.server.services import load_services
    from openhear.server.wyoming_server import (
        READ_TIMEOUT_S,
        check_zeroconf,
        handler_factory,
        serve,
        server_for,
    )

    read_timeout_s = READ_TIMEOUT_S if args.read_timeout is None else args.read_timeout
    if not 0 < read_timeout_s < math.inf:
        raise UsageError(
            f"--read-timeout must be a positive number of seconds, not {args.read_timeout}"
        )
    model = model_choice(args)
    server = server_for(args.uri)
    if args.zeroconf is not None:
        check_zeroconf(server, args.zeroconf)  # before the models load
    asr, tts = args.only in (None, "asr"), args.only in (None, "tts")
    host = server.host if isinstance(server, AsyncTcpServer) else None  # unix and stdio are local
    if host is not None and not is_loopback(host):
        print(
            f"openhear: warning: Wyoming has no authentication; anyone who can reach {host}"
            " can use this server",
            file=sys.stderr,
        )
    services = load_services(
        data_dir(), captions=asr, speech=tts, model=model, language=args.language
    )
    offers = " and ".join(
        name for name, on in (("speech-to-text", asr), ("text-to-speech", tts)) if on
    )
    print(
        f"openhear wyoming: {offers} at {args.uri}  (Ctrl+C stops it)", file=sys.stderr, flush=True
    )
    try:
        asyncio.run(
            serve(server, handler_factory(services, asr, tts, read_timeout_s), args.zeroconf)
        )
    except OSError as exc:
        raise OpenhearError(f"cannot listen on {args.uri} ({exc.strerror or exc})") from None
    except KeyboardInterrupt:
        print("openhear wyoming: stopped", file=sys.stderr, flush=True)
    return 0
