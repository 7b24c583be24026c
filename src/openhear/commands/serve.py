"""`openhear serve`: the local web app (captions, speak, conversation, hearing
profile, amplifier)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from openhear.commands._shared import add_model_arguments, model_choice
from openhear.errors import UsageError
from openhear.scale.cluster import ADDRESS_HELP

if TYPE_CHECKING:  # imported where used, so that `--help` and bad arguments answer at once
    from openhear.server.options import ServerOptions


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "serve",
        parents=[common],
        help="start the web app and print its address",
        description="Start the web app on this computer. It listens on 127.0.0.1 only, unless "
        "--host names another address; then every request needs the token it prints (or "
        "--token).",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this computer only)",
    )
    p.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    p.add_argument(
        "--token", help="token required on every request (generated when --host is not loopback)"
    )
    p.add_argument(
        "--max-sessions",
        type=int,
        default=4,
        help="caption sessions served at once (default 4; with --ray: per replica)",
    )
    ray = p.add_argument_group("on Ray Serve (openhear[scale])")
    ray.add_argument(
        "--ray",
        action="store_true",
        help="serve the app from replicas on Ray Serve (each with its own models)",
    )
    ray.add_argument("--address", metavar="ADDR", help=ADDRESS_HELP)
    ray.add_argument(
        "--replicas", type=int, default=2, help="with --ray: replicas, when not autoscaled (2)"
    )
    ray.add_argument("--min-replicas", type=int, help="with --ray: autoscale from this many")
    ray.add_argument("--max-replicas", type=int, help="with --ray: autoscale up to this many")
    ray.add_argument(
        "--replica-cpus",
        type=float,
        default=1.0,
        help="with --ray: CPUs each replica reserves (default 1; 0.5 fits two on a core)",
    )
    from openhear.commands.alerts import add_webhook_argument

    add_webhook_argument(p)
    add_model_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from openhear.server.options import ServerOptions
    from openhear.server.security import is_loopback, new_token

    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port must be 1 to 65535, got {args.port}")
    if args.max_sessions < 1:
        raise UsageError(f"--max-sessions must be at least 1, got {args.max_sessions}")
    token = args.token
    if token is not None and len(token) < 16:
        raise UsageError("--token must be at least 16 characters")
    if token is None and not is_loopback(args.host):
        token = new_token()
    webhook = None
    if args.webhook:
        from openhear.alerts.webhook import check_webhook_url

        webhook = check_webhook_url(args.webhook)
    model = model_choice(args)
    options = ServerOptions(
        host=args.host,
        port=args.port,
        token=token,
        max_caption_sessions=args.max_sessions,
        alert_webhook_url=webhook,
    )
    if args.ray:
        return serve_on_ray(options, args)
    if args.address:
        raise UsageError("--address joins a Ray cluster: it goes with --ray")
    serve(options, model, args.language)
    return 0


def app_url(options: ServerOptions) -> str:
    """The address to open in a browser (with the token when one is required)."""
    host = "127.0.0.1" if options.host in ("0.0.0.0", "::") else options.host
    host = f"[{host}]" if ":" in host else host
    suffix = f"/?token={options.token}" if options.token else "/"
    return f"http://{host}:{options.port}{suffix}"


def serve(options: ServerOptions, model: str | None = None, language: str | None = None) -> None:
    """Binds the port, loads the models once (Whisper `model` set to `language`, as
    `load_transcriber` takes them), then runs the app until interrupted."""
    from openhear.paths import data_dir
    from openhear.server import create_app
    from openhear.server.runner import bind, make_server
    from openhear.server.services import load_services

    with bind(options.host, options.port) as sock:
        app = create_app(options, load_services(data_dir(), model=model, language=language))
        print(f"openhear is running at {app_url(options)}  (Ctrl+C stops it)", flush=True)
        try:
            make_server(app, options).run(sockets=[sock])
        except (
            KeyboardInterrupt
        ):  # uvicorn has shut down cleanly and passes the Ctrl+C on: the normal way to stop
            print("openhear: stopped", flush=True)


def serve_on_ray(options: ServerOptions, args: argparse.Namespace) -> int:
    """`--ray`: the app deployed on Ray Serve until interrupted, then removed."""
    import time

    from openhear.paths import data_dir
    from openhear.scale.cluster import require_ray, start_ray
    from openhear.scale.serve import ScaleOptions, deploy, shutdown
    from openhear.server.runner import bind

    scale = ScaleOptions(
        address=args.address,
        replicas=args.replicas,
        min_replicas=args.min_replicas,
        max_replicas=args.max_replicas,
        replica_cpus=args.replica_cpus,
        model=model_choice(args),
        language=args.language,
    )
    require_ray()
    if args.address is None:
        bind(options.host, options.port).close()  # a port in use is said before Ray starts
    start_ray(args.address, quiet=not args.verbose)
    # a local Ray shares this user's data directory; a cluster's nodes each keep their own
    seconds = deploy(options, scale, None if args.address else str(data_dir()))
    replicas = (
        f"{scale.min_replicas} to {scale.max_replicas} replicas"
        if scale.autoscaled
        else f"{scale.replicas} replica{'s' if scale.replicas != 1 else ''}"
    )
    print(
        f"openhear is running on Ray Serve at {app_url(options)}  ({replicas}, up in "
        f"{seconds:.0f} s; Ctrl+C stops it)",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        shutdown()
        print("openhear: stopped", flush=True)
    return 0
