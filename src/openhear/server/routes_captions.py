"""Live captions over a WebSocket, and caption export in txt, srt and vtt."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, WebSocket
from fastapi.responses import Response
from pydantic import Field
from starlette.status import WS_1000_NORMAL_CLOSURE, WS_1011_INTERNAL_ERROR, WS_1013_TRY_AGAIN_LATER
from starlette.websockets import WebSocketDisconnect

from openhear.asr.events import FinalCaption
from openhear.captions.cues import cues_from_finals, spread_words
from openhear.captions.writers import render
from openhear.errors import OpenhearError
from openhear.server.caption_session import CaptionSession, ProtocolError, refuse
from openhear.server.documents import DocumentFormat, document_response
from openhear.server.limits import RequestModel
from openhear.server.state import app_state

router = APIRouter()


class CaptionLine(RequestModel):
    """One final caption the page shows."""

    text: str = Field(max_length=10_000)
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)
    language: str = Field(default="", max_length=16)
    """The language it was heard in ("fr"; '' when not known)."""


class ExportRequest(RequestModel):
    """The page's captions, to be written as a document."""

    format: DocumentFormat
    cues: list[CaptionLine] = Field(max_length=100_000)


@router.post("/api/captions/export")
def export_captions(request: ExportRequest) -> Response:
    """The captions as a txt, srt, vtt or json download: the page's final captions through the
    same cue builder and writers as `openhear caption` (each line's language kept)."""
    finals = [
        FinalCaption(
            c.text, c.start_s, c.end_s, spread_words(c.text, c.start_s, c.end_s, c.language)
        )
        for c in request.cues
    ]
    cues = cues_from_finals(finals)
    return document_response(render(cues, request.format), request.format, "captions")


@router.websocket("/ws/captions")
async def captions_socket(ws: WebSocket) -> None:
    """One caption session (protocol in openhear.server.caption_session)."""
    state = app_state(ws)
    await ws.accept()
    if not state.services.transcribers:
        reason = state.services.missing.get("captions", "captions are not available on this server")
        return await refuse(ws, {"type": "error", "message": reason}, WS_1011_INTERNAL_ERROR)
    from openhear.asr.streaming import LIVE_OPTIONS, StreamingCaptioner

    session = CaptionSession(ws, state)
    refusal = state.caption_sessions.admit(session)
    if refusal is not None:
        return await refuse(ws, refusal, WS_1013_TRY_AGAIN_LATER)
    try:
        with state.services.transcriber() as transcriber:
            options = dataclasses.replace(
                LIVE_OPTIONS, update_interval_s=state.options.caption_update_interval_s
            )
            session.captioner = StreamingCaptioner(transcriber, options)
            await session.run()
    except ProtocolError as exc:
        return await refuse(ws, {"type": "error", "message": str(exc)}, exc.close_code)
    except OpenhearError as exc:  # e.g. the stream's audio could not be captioned
        return await refuse(ws, {"type": "error", "message": str(exc)}, WS_1011_INTERNAL_ERROR)
    except WebSocketDisconnect:
        return
    finally:
        state.caption_sessions.leave(session)
    await refuse(ws, {"type": "end"}, WS_1000_NORMAL_CLOSURE)
