"""Speak typed text (a WAV streamed to the page sentence by sentence; in a conversation it joins
the transcript) and saved phrases."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response
from pydantic import Field

from openhear.audio import AudioBlock
from openhear.server.audio_response import speech_response
from openhear.server.limits import RequestModel, is_row_id
from openhear.server.state import AppState, app_state
from openhear.tts.phrasebook import Phrase

router = APIRouter()


class SpeakRequest(RequestModel):
    """Text to say aloud."""

    text: str = Field(min_length=1, max_length=5000)
    speed: float = Field(1.0, ge=0.5, le=2.0)
    conversation_id: int | None = None
    """When set, the text is stored in that conversation as the user's ("me") reply."""


def speech_blocks(
    state: AppState, text: str, speed: float, conversation_id: int | None = None
) -> Iterator[AudioBlock]:
    """`text` spoken, one mono block per sentence as Piper makes it (a generator: nothing happens
    before its first step, which is the one that checks and stores).

    With `conversation_id` it is that conversation's reply: stored first, and the relay's echo
    gate silences the conversation's caption input while the page plays it. Text with nothing to
    say (empty, or only punctuation) is a TextError before anything is stored."""
    from openhear.tts.speech import SpeechOptions
    from openhear.tts.text import NO_SPEECH_MESSAGE, TextError, require_text

    voice = state.services.require("speech", state.services.voice)
    speech = SpeechOptions(speed=speed)
    text = require_text(text)
    if not voice.speakable(text):
        raise TextError(NO_SPEECH_MESSAGE)
    if conversation_id is None:
        yield from voice.synthesize(text, speech)
    else:
        yield from state.conversations.open(conversation_id, voice).say(text, speech)


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

    if not is_row_id(number):  # no phrase could have it (out of SQLite's range)
        raise HTTPException(404, f"no saved phrase {number}")
    try:
        state.phrasebook.get(number)
    except PhraseError as exc:
        raise HTTPException(404, str(exc)) from None
    return _phrase_json(state.phrasebook.remove(number))
