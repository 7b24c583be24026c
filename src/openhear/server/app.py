"""The app factory: routes, error handlers, the request guard and the static page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from openhear import __version__
from openhear.privacy import FASTAPI_TELEMETRY_OFF
from openhear.relay.store import TRANSCRIPTS_FILE, TranscriptStore
from openhear.server import (
    openai_api,
    routes_alerts,
    routes_amplifier,
    routes_calls,
    routes_captions,
    routes_conversations,
    routes_fitting,
    routes_hearing,
    routes_page,
    routes_speech,
)
from openhear.server.alerts import ALERTS_FILE, AlertHub, CaptionAudioTap
from openhear.server.amplifier import AmplifierControl
from openhear.server.calls import CallDesk
from openhear.server.conversations import OpenConversations
from openhear.server.errors import install_error_handlers
from openhear.server.options import ServerOptions
from openhear.server.security import GuardMiddleware
from openhear.server.services import Services
from openhear.server.sessions import CaptionLoad
from openhear.server.state import AppState
from openhear.tts.phrasebook import PHRASES_FILE, Phrasebook

if TYPE_CHECKING:
    from openhear.alerts.webhook import Webhook

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; connect-src 'self'; media-src 'self' blob:; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
"""The page loads nothing from elsewhere and never leaks its token-bearing address."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """When the server stops, a call still up is hung up (its transcript kept)."""
    yield
    await asyncio.to_thread(app.state.openhear.calls.close)


def _webhook(options: ServerOptions) -> Webhook | None:
    if options.alert_webhook_url is None:
        return None
    from openhear.alerts.webhook import Webhook

    return Webhook(options.alert_webhook_url)


def create_app(options: ServerOptions, services: Services) -> FastAPI:
    """Builds the web app over already-loaded services (`load_services`)."""
    app = FastAPI(
        lifespan=_lifespan,
        title="openhear",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        telemetry=FASTAPI_TELEMETRY_OFF,
    )
    conversations = OpenConversations(TranscriptStore(services.data_dir / TRANSCRIPTS_FILE))
    app.state.openhear = AppState(
        options,
        services,
        CaptionLoad(
            options.max_caption_sessions,
            options.max_backlog_s,
            options.max_utilization,
            options.cores,
        ),
        Phrasebook(services.data_dir / PHRASES_FILE),
        conversations,
        AmplifierControl(services.data_dir / routes_fitting.PROFILE_FILE),
        CallDesk(services, conversations.store),
    )
    install_error_handlers(app)
    for module in (
        routes_page,
        routes_captions,
        routes_speech,
        routes_conversations,
        routes_fitting,
        routes_hearing,
        routes_amplifier,
        routes_alerts,
        routes_calls,
    ):
        app.include_router(module.router)
    openai_api.install(app)
    app.mount("/static", StaticFiles(directory=routes_page.STATIC_DIR), name="static")

    @app.middleware("http")
    async def _security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    # Sound alerts on the caption socket's audio (and /ws/alerts), stored with the other data.
    app.state.openhear_alerts = AlertHub(services.data_dir / ALERTS_FILE, _webhook(options))
    app.add_middleware(CaptionAudioTap, hub=app.state.openhear_alerts)
    app.add_middleware(GuardMiddleware, options=options)
    return app
