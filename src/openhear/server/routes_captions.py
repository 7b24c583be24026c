"""Live captions over a WebSocket, and caption export in txt, srt and vtt."""

from __future__ import annotations

import logging

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from openhear.server.caption_session import CaptionSession, ProtocolError, refuse
from openhear.server.state import app_state

log = logging.getLogger("openhear.server")
router = APIRouter()


@router.websocket("/ws/captions")
async def captions_socket(ws: WebSocket) -> None:
    """One caption session (protocol in openhear.server.caption_session)."""
    state = app_state(ws)
    await ws.accept()
    if state.services.transcriber is None:
        reason = state.services.missing.get("captions", "captions are not available on this server")
        return await refuse(ws, {"type": "error", "message": reason}, 1011)
    limit = state.caption_sessions
    if not limit.try_acquire():
        return await refuse(ws, limit.busy_message(), 1013)
    with limit.slot():
        from openhear.asr.streaming import CaptionOptions, StreamingCaptioner

        session = CaptionSession(ws, StreamingCaptioner(state.services.transcriber, CaptionOptions()), state)
        try:
            await session.run()
        except ProtocolError as exc:
            return await refuse(ws, {"type": "error", "message": str(exc)}, exc.close_code)
        except WebSocketDisconnect:
            return
        await refuse(ws, {"type": "end"}, 1000)
