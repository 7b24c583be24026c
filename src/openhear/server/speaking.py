"""Typed text spoken for the routes: the page's `/api/speak` and OpenAI's `/v1/audio/speech` both
speak through `speech_blocks`, which checks the text, and in a conversation stores it first."""

from __future__ import annotations

from collections.abc import Iterator

from openhear.audio import AudioBlock
from openhear.server.state import AppState


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
