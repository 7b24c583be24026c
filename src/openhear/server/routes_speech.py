"""Speak typed text (a WAV streamed to the page sentence by sentence; in a conversation it joins
the transcript) and saved phrases."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response
from pydantic import Field

from openhear.server.audio_response import speech_response
from openhear.server.limits import RequestModel, is_row_id
from openhear.server.speaking import speech_blocks
from openhear.server.state import AppState, app_state
from openhear.tts.phrasebook import Phrase

router = APIRouter()


class SpeakRequest(RequestModel):
    """Text to say aloud."""

    text: str = Field(min_length=1, max_length=5000)
    speed: float = Field(1.0, ge=0.5, le=2.0)
    conversation_id: int | None = None
    """When set, the text is stored in that conversation as the user's ("me") reply."""


@router.post("/api/speak")
async def speak(request: SpeakRequest, state: AppState = Depends(app_state)) -> Response:
    """The text as synthetic speech: a WAV (tagged as synthetic) streamed sentence by sentence,
    so the first sentence plays while the rest is made."""
    voice = state.services.require("speech", state.services.voice)
    blocks = speech_blocks(state, request.text, request.speed, request.conversation_id)
    return await speech_response(state.services.workers, blocks, voice.sample_rate, "wav")


class PhraseRequest(RequestModel):
    """A phrase to save."""

    name: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=10_000)


def _phrase_json(phrase: Phrase) -> dict:
    return {"number": phrase.number, "name": phrase.name, "text": phrase.text}


@router.get("/api/phrases")
def list_phrases(state: AppState = Depends(app_state)) -> list[dict]:
    """Every saved phrase, oldest first."""
    return [_phrase_json(p) for p in state.phrasebook.list()]


@router.post("/api/phrases", status_code=201)
def add_phrase(request: PhraseRequest, state: AppState = Depends(app_state)) -> dict:
    """Save a phrase under a new name (409 if the name is taken)."""
    from openhear.tts.phrasebook import PhraseExists

    try:
        return _phrase_json(state.phrasebook.add(request.name, request.text))
    except PhraseExists as exc:
        raise HTTPException(409, str(exc)) from None


@router.delete("/api/phrases/{number}")
def remove_phrase(number: int, state: AppState = Depends(app_state)) -> dict:
    """Remove a saved phrase by its number."""
    from openhear.tts.phrasebook import PhraseError

    unknown = HTTPException(404, f"no saved phrase {number} (GET /api/phrases lists them)")
    if not is_row_id(number):  # no phrase could have it (out of SQLite's range)
        raise unknown
    try:
        state.phrasebook.get(number)
    except PhraseError:
        raise unknown from None
    return _phrase_json(state.phrasebook.remove(number))
