"""The models and stores the app serves, loaded once at start and shared by every request."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from openhear.errors import ModelError

if TYPE_CHECKING:
    from openhear.asr.whisper import WhisperTranscriber
    from openhear.tts.speech import Synthesizer

log = logging.getLogger("openhear.server")
_Model = TypeVar("_Model")


@dataclass
class Services:
    """What the routes call into; a feature whose model is absent answers 503 with the reason."""

    data_dir: Path
    """The user's data directory (phrases, transcripts, profiles)."""
    transcribers: list[WhisperTranscriber] = field(default_factory=list)
    """Whisper transcribers, one per core: each decodes one call at a time, so sessions share them
    round the least busy (empty: captions unavailable)."""
    voice: Synthesizer | None = None
    """The Piper voice that speaks typed text (None: speech unavailable)."""
    missing: dict[str, str] = field(default_factory=dict)
    """Feature name -> one-line reason it is unavailable."""
    workers: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(
            max_workers=32, thread_name_prefix="openhear-model"
        )
    )
    """Threads that run model calls, so the event loop (and the health check) stays responsive;
    more than sessions, so a call waiting on one transcriber never holds up another."""
    _users: dict[int, int] = field(default_factory=dict)

    @contextmanager
    def transcriber(self) -> Iterator[WhisperTranscriber]:
        """Lends the transcriber with the fewest sessions for the length of a `with` block."""
        chosen = min(self.transcribers, key=lambda t: self._users.get(id(t), 0))
        self._users[id(chosen)] = self._users.get(id(chosen), 0) + 1
        try:
            yield chosen
        finally:
            self._users[id(chosen)] -= 1

    def require(self, feature: str, model: _Model | None) -> _Model:
        """The model behind `feature`, or a ModelError that names why it is missing."""
        if model is None:
            raise ModelError(
                self.missing.get(feature, f"{feature} is not available on this server")
            )
        return model


def load_services(
    data_dir: Path,
    captions: bool = True,
    speech: bool = True,
    model: str | None = None,
    language: str | None = None,
    transcribers: int | None = None,
) -> Services:
    """Loads the Whisper models (`transcribers` of them; default one per core, at most 4) and the
    Piper voice once; a broken model raises ModelError (one line). `model` and `language` are
    `load_transcriber`'s (default: tiny.en, English); a request or session may ask a multilingual
    model for another language."""
    services = Services(data_dir=data_dir)
    if captions:
        from openhear.asr.whisper import load_transcriber

        count = transcribers or min(os.cpu_count() or 1, 4)
        services.transcribers = [load_transcriber(model, language=language) for _ in range(count)]
    else:
        services.missing["captions"] = "captions are switched off on this server"
    if speech:
        from openhear.tts.piper import load_voice

        services.voice = load_voice()
    else:
        services.missing["speech"] = "speech is switched off on this server"
    return services
