"""The models and stores the app serves, loaded once at start and shared by every request."""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from openhear.errors import ModelError

log = logging.getLogger("openhear.server")


@dataclass
class Services:
    """What the routes call into; a feature whose model is absent answers 503 with the reason."""

    data_dir: Path
    """The user's data directory (phrases, transcripts, profiles)."""
    transcriber: object | None = None
    """The Whisper transcriber shared by every caption session (None: captions unavailable)."""
    voice: object | None = None
    """The Piper voice that speaks typed text (None: speech unavailable)."""
    missing: dict[str, str] = field(default_factory=dict)
    """Feature name -> one-line reason it is unavailable."""
    workers: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="openhear-model")
    )
    """Threads that run model calls, so the event loop (and the health check) stays responsive."""

    def require(self, feature: str, model: object | None) -> object:
        """The model behind `feature`, or a ModelError that names why it is missing."""
        if model is None:
            raise ModelError(self.missing.get(feature, f"{feature} is not available on this server"))
        return model


def load_services(data_dir: Path, captions: bool = True, speech: bool = True) -> Services:
    """Loads the Whisper and Piper models once; a broken model raises ModelError (one line)."""
    services = Services(data_dir=data_dir)
    if captions:
        from openhear.asr.whisper import load_transcriber

        services.transcriber = load_transcriber()
    else:
        services.missing["captions"] = "captions are switched off on this server"
    if speech:
        from openhear.tts.piper import load_voice

        services.voice = load_voice()
    else:
        services.missing["speech"] = "speech is switched off on this server"
    return services
