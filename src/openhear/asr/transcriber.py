"""What the captioner needs of a speech recogniser: 16 kHz mono audio in, timed words out.

WhisperTranscriber is the real one; openhear.testing.ScriptedTranscriber is a scripted stand-in
that lets the captioner's policies (endpointing, agreement, lag, trimming) be tested without a
model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from openhear.asr.events import Word


class Transcriber(Protocol):
    """Turns 16 kHz mono float32 audio into words with times in seconds from its start."""

    def transcribe(
        self,
        audio: np.ndarray,
        prompt: str | None = None,
        vocabulary: Sequence[str] | None = None,
        beam_size: int = 5,
        fallback: bool = True,
        short_window: bool | None = False,
        first_window_only: bool = False,
    ) -> list[Word]:
        """Words heard in `audio`; see WhisperTranscriber.transcribe for what each option asks."""
        ...
