"""The page itself, its static files, and the health check."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from openhear import __version__
from openhear.server.security import TOKEN_COOKIE
from openhear.server.services import Services
from openhear.server.state import AppState, app_state

STATIC_DIR = Path(__file__).parent / "static"
router = APIRouter()


@router.get("/", include_in_schema=False)
async def index(request: Request, state: AppState = Depends(app_state)) -> FileResponse:
    """The one page; opened with `?token=`, it keeps the token in a same-site
    cookie for its requests."""
    response = FileResponse(STATIC_DIR / "index.html", media_type="text/html")
    if state.options.token is not None and request.query_params.get("token"):
        response.set_cookie(TOKEN_COOKIE, state.options.token, httponly=True, samesite="strict")
    return response


def _languages(services: Services) -> dict:
    """The caption model's name, its languages and the server's language (None: identified in
    each utterance), for the page's language setting."""
    if not services.transcribers:
        return {}
    transcriber = services.transcribers[0]
    return {
        "model": transcriber.name,
        "languages": list(transcriber.languages),
        "language": transcriber.language,
    }


@router.get("/api/settings")
def settings() -> dict:
    """What the page must agree on with the library, so that it writes none of it itself: the
    sliders' ranges and units, the noise suppressors, the marks that end a sentence, and the
    notice a conversation starts with."""
    from dataclasses import asdict

    from openhear.asr.events import SENTENCE_END_MARKS
    from openhear.fitting.adjustments import NOISE_KINDS, SLIDER_RANGES
    from openhear.relay.session import DEFAULT_DISCLOSURE

    return {
        "sliders": {name: asdict(limits) for name, limits in SLIDER_RANGES.items()},
        "noise_kinds": list(NOISE_KINDS),
        "sentence_end_marks": "".join(SENTENCE_END_MARKS),
        "disclosure": DEFAULT_DISCLOSURE,
    }


@router.get("/api/health")
async def health(state: AppState = Depends(app_state)) -> dict:
    """Liveness and load: cheap enough to poll while every caption session is busy."""
    services = state.services
    return {
        "status": "ok",
        "version": __version__,
        "captions": {
            "available": bool(services.transcribers),
            **_languages(services),
            "active_sessions": state.caption_sessions.active,
            "max_sessions": state.caption_sessions.limit,
            "backlog_s": round(state.caption_sessions.backlog_s, 2),
            "utilization": round(state.caption_sessions.utilization, 2),
        },
        "speech": {"available": services.voice is not None},
        "unavailable": services.missing,
    }
