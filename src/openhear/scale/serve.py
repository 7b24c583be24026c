"""The web app on Ray Serve: `openhear serve --ray`.

Every replica of one deployment is the whole web app, the FastAPI ingress (`@serve.ingress`,
WebSocket routes included) over its own Whisper models and Piper voice, loaded once when the
replica starts. Serve's proxy hands each WebSocket to one replica for the whole connection, so a
caption stream stays on the replica that holds its decoder state, and a replica that dies takes
only its own streams with it (Serve starts another in its place).

Replicas reserve `replica_cpus` CPUs each (a fraction lets two share a 2-core machine); their
number is fixed (`replicas`) or autoscaled between `min_replicas` and `max_replicas` on the
requests and caption streams they hold. Each replica admits caption streams by its own real load,
as the single-process server does (openhear.server.sessions: 1013 "busy" on the WebSocket), and
answers the model endpoints (transcription, speech) with 503 and Retry-After while it is
saturated, so a load balancer or client backs off instead of queueing.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from openhear.errors import OpenhearError, UsageError
from openhear.server.options import ServerOptions

APP_NAME = "openhear"
"""The Serve application (and deployment) name."""
BUSY_PATHS = ("/v1/audio/", "/api/speech", "/api/speak")
"""HTTP routes that run a model: answered 503 while the replica is saturated."""
RETRY_AFTER_S = 30
"""What a "busy" answer asks the client to wait, seconds."""


@dataclass(frozen=True)
class ScaleOptions:
    """How the web app is deployed on Ray Serve."""

    address: str | None = None
    """The Ray cluster to join ("auto", "ray://host:10001"); None: a private local Ray."""
    replicas: int = 2
    """Replicas when not autoscaled."""
    min_replicas: int | None = None
    """Autoscaling lower bound (with max_replicas; None: a fixed number of replicas)."""
    max_replicas: int | None = None
    """Autoscaling upper bound."""
    replica_cpus: float = 1.0
    """CPUs each replica reserves (0.5 lets two share a core... of a 2-core machine's two)."""
    max_model_requests: int = 2
    """Model HTTP requests (transcription, speech) one replica runs at once; more get 503."""
    model: str | None = None
    """The Whisper model each replica loads (a name or a directory; None: the bundled tiny.en)."""
    language: str | None = None
    """What that model hears: a language tag or "auto" (None: the model's default)."""

    def __post_init__(self) -> None:
        if self.replicas < 1:
            raise UsageError(f"--replicas must be at least 1, got {self.replicas}")
        if (self.min_replicas is None) != (self.max_replicas is None):
            raise UsageError("--min-replicas and --max-replicas go together")
        if self.min_replicas is not None and self.max_replicas is not None:
            if not 0 <= self.min_replicas <= self.max_replicas or self.max_replicas < 1:
                raise UsageError("need 0 <= --min-replicas <= --max-replicas, and a maximum of 1+")
        if not 0 < self.replica_cpus <= 64:
            raise UsageError(
                f"--replica-cpus must be above 0 and at most 64, got {self.replica_cpus}"
            )

    @property
    def autoscaled(self) -> bool:
        return self.max_replicas is not None


class BusyGuard:
    """ASGI middleware of a replica: model HTTP requests get 503 with Retry-After while the
    replica is saturated (its caption streams behind or using its CPUs, or `limit` model requests
    already running); everything else passes."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.running = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(BUSY_PATHS):
            return await self.app(scope, receive, send)
        reason = self._busy(scope)
        if reason is not None:
            from fastapi.responses import JSONResponse

            from openhear.server.security import error_body

            message = f"The server is busy: {reason}. Please try again in a minute."
            response = JSONResponse(
                error_body(message, "server_error", None, "server_busy"),
                status_code=503,
                headers={"retry-after": str(RETRY_AFTER_S)},
            )
            return await response(scope, receive, send)
        self.running += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.running -= 1

    def _busy(self, scope: Scope) -> str | None:
        load = scope["app"].state.openhear.caption_sessions
        if self.running >= self.limit:
            return f"{self.running} requests are being answered"
        if load.backlog_s > load.max_backlog_s:
            return f"its caption sessions are {load.backlog_s:.1f} s behind"
        if load.utilization > load.max_utilization:
            return f"its caption sessions use {100 * load.utilization:.0f} % of its processing"
        return None


def replica_app(server: ServerOptions, data_dir: str | None, scale: ScaleOptions) -> ASGIApp:
    """The web app of one replica: its own models (one Whisper per reserved core), its load
    counted against its reserved CPUs, the busy guard in front. Runs in the replica."""
    from openhear.paths import data_dir as default_data_dir
    from openhear.server import create_app
    from openhear.server.services import load_services

    cpus = scale.replica_cpus
    services = load_services(
        Path(data_dir) if data_dir else default_data_dir(),
        transcribers=max(1, math.ceil(cpus)),
        model=scale.model,
        language=scale.language,
    )
    app = create_app(dataclasses.replace(server, cores=cpus), services)
    add_busy_guard(app, scale.max_model_requests)
    return app


def add_busy_guard(app: FastAPI, limit: int) -> None:
    """BusyGuard as the innermost middleware: after the request guard (an unauthorised request
    learns nothing of the load) and under the security headers."""
    from starlette.middleware import Middleware

    app.user_middleware.append(Middleware(BusyGuard, limit=limit))


def application(server: ServerOptions, scale: ScaleOptions, data_dir: str | None) -> Any:
    """The Serve application: one deployment whose replicas each run `replica_app`."""
    from ray import serve

    def build() -> ASGIApp:  # a plain function: Serve calls it in each replica
        return replica_app(server, data_dir, scale)

    streams = server.max_caption_sessions
    replicas: dict[str, Any] = (
        {
            "autoscaling_config": {
                "min_replicas": scale.min_replicas,
                "max_replicas": scale.max_replicas,
                "initial_replicas": max(1, scale.min_replicas or 0),
                "target_ongoing_requests": max(1, streams // 2),
            }
        }
        if scale.autoscaled
        else {"num_replicas": scale.replicas}
    )

    @serve.deployment(
        name=APP_NAME,
        ray_actor_options={"num_cpus": scale.replica_cpus},
        # above what the app admits itself, so that its own "busy" answers, not Serve's queue
        max_ongoing_requests=streams + scale.max_model_requests + 16,
        health_check_period_s=2,
        logging_config={"enable_access_log": False, "log_level": "WARNING"},
        **replicas,
    )
    @serve.ingress(build)
    class OpenhearIngress:
        """The web app, one per replica."""

    deployment: Any = OpenhearIngress  # the decorators made it a Serve Deployment
    return deployment.bind()


def deploy(server: ServerOptions, scale: ScaleOptions, data_dir: str | None) -> float:
    """Starts Serve's proxy on `server.host:server.port` and deploys the app; returns when every
    replica is up, with the seconds it took."""
    from ray import serve

    if not logging.getLogger("openhear").isEnabledFor(logging.INFO):
        logging.getLogger("ray.serve").setLevel(logging.WARNING)  # its start-up notes, unless -v
    started = time.perf_counter()
    # no access log: request lines would put what people do (and ?token=) in Ray's log files
    quiet = {"enable_access_log": False, "log_level": "WARNING"}
    serve.start(http_options={"host": server.host, "port": server.port}, logging_config=quiet)
    try:
        serve.run(application(server, scale, data_dir), name=APP_NAME, route_prefix="/")
    except RuntimeError as exc:  # a replica that cannot start (a model missing, a bad option)
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OpenhearError(f"the app did not start on Ray Serve: {detail}") from None
    return time.perf_counter() - started


def shutdown() -> None:
    """Removes the app and Serve's actors from the cluster."""
    from ray import serve

    serve.shutdown()
