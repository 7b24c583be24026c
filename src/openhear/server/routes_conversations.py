"""Conversations: start (with the disclosure notice), list, reopen, export and delete."""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response
from pydantic import Field

from openhear.relay.export import export_transcript
from openhear.relay.store import Transcript, TranscriptError
from openhear.server.documents import DocumentFormat, document_response
from openhear.server.limits import RequestModel
from openhear.server.state import AppState, app_state

router = APIRouter()


class StartRequest(RequestModel):
    """A new conversation."""

    title: str = Field("", max_length=200)
    disclosure: bool = True
    """Return the notice the page speaks first, telling the other person replies are synthetic."""
    notice: str | None = Field(None, max_length=1000)
    """The notice's own words (the page lets the user edit them); None or blank for the
    standard notice."""
    echo: Literal["cancel", "mute"] = "cancel"
    """How the page's replies are kept out of its captions: 'cancel' removes their echo from the
    microphone's sound (captions keep running), 'mute' stops captioning while one plays."""


def stored(state: AppState, conversation_id: int) -> Transcript:
    """The stored conversation, or 404."""
    try:
        return state.conversations.transcript(conversation_id)
    except TranscriptError as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/api/conversations")
def list_conversations(state: AppState = Depends(app_state)) -> list[dict]:
    """Every stored conversation, newest first."""
    return [asdict(c) for c in reversed(state.conversations.store.list_conversations())]


@router.post("/api/conversations", status_code=201)
def start_conversation(request: StartRequest, state: AppState = Depends(app_state)) -> dict:
    """Starts a conversation; with `disclosure`, the notice for the page to speak first (its
    reply, stored as spoken)."""
    session = state.conversations.start(
        state.services.voice, request.title, request.disclosure, request.notice, request.echo
    )
    return {
        "conversation": asdict(session.conversation),
        "notice": session.options.disclosure or None,
        "echo": session.options.echo,
        "echo_tail_ms": session.options.echo_tail_ms,
    }


@router.get("/api/conversations/{conversation_id}")
def get_conversation(conversation_id: int, state: AppState = Depends(app_state)) -> dict:
    """One conversation with all its lines."""
    transcript = stored(state, conversation_id)
    return {
        "conversation": asdict(transcript.conversation),
        "entries": [asdict(e) for e in transcript.entries],
    }


@router.get("/api/conversations/{conversation_id}/export")
def export_conversation(
    conversation_id: int, format: DocumentFormat = "txt", state: AppState = Depends(app_state)
) -> Response:
    """The transcript as a txt, srt, vtt (with <v Them>/<v Me>) or json download."""
    transcript = stored(state, conversation_id)
    return document_response(
        export_transcript(transcript, format), format, f"conversation-{conversation_id}"
    )


@router.delete("/api/conversations/{conversation_id}")
def delete_conversation(conversation_id: int, state: AppState = Depends(app_state)) -> dict:
    """Deletes a conversation and its lines for good."""
    try:
        return asdict(state.conversations.forget(conversation_id))
    except TranscriptError as exc:
        raise HTTPException(404, str(exc)) from None
