"""What every route reaches through `request.app.state.openhear`."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from openhear.server.amplifier import AmplifierControl
from openhear.server.calls import CallDesk
from openhear.server.conversations import OpenConversations
from openhear.server.hearing_checks import HearingChecks
from openhear.server.options import ServerOptions
from openhear.server.services import Services
from openhear.server.sessions import CaptionLoad
from openhear.tts.phrasebook import Phrasebook


@dataclass
class AppState:
    """The options, loaded services, stores and live-session count of one running app."""

    options: ServerOptions
    services: Services
    caption_sessions: CaptionLoad
    phrasebook: Phrasebook
    """The saved phrases."""
    conversations: OpenConversations
    amplifier: AmplifierControl
    calls: CallDesk
    """The Calls view's call (openhear.server.routes_calls)."""
    hearing_checks: HearingChecks = field(default_factory=HearingChecks)
    """Hearing checks open in the page (openhear.server.routes_hearing)."""


def app_state(conn: HTTPConnection) -> AppState:
    """FastAPI dependency: the app's state (works for HTTP requests and WebSockets)."""
    return conn.app.state.openhear
