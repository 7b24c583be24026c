"""A scripted stand-in for a speech recogniser (it satisfies openhear.asr.transcriber.Transcriber).

It "hears" a word once the audio it is given reaches the word's end, the way a real recogniser
only transcribes what it has been given. The words are a timeline on the stream the captioner is
fed (16 kHz mono, so the captioner passes the samples on unchanged); each call finds where the
audio it receives lies in that stream by its samples, and returns the timeline's words inside
it, with times from the start of that audio. Every call is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from openhear.asr.events import Word
from openhear.asr.whisper import SAMPLE_RATE


@dataclass(frozen=True)
class TranscribeCall:
    """One call to the scripted transcriber, as the caller made it."""

    start_s: float
    """Where the audio it was given starts in the stream, seconds."""
    end_s: float
    """Where that audio ends in the stream, seconds."""
    prompt: str | None
    """The prompt it was given."""
    beam_size: int
    """The beam width asked for."""
    first_window_only: bool
    """Whether only the first window was asked for."""


class ScriptedTranscriber:
    """Returns the scripted `words` (times in seconds on `stream`, 16 kHz mono) that lie within
    the audio of each call.

    `stream` should not repeat itself (add a little noise to digital silence) so each call's audio
    is found in it at one place only.
    """

    def __init__(self, stream: np.ndarray, words: Sequence[Word]) -> None:
        self.stream = np.asarray(stream, np.float32)
        self.words = tuple(words)
        self.calls: list[TranscribeCall] = []
        """Every call so far, in order."""

    def _offset(self, audio: np.ndarray) -> int:
        head = audio[: min(audio.size, 512)]
        candidates = np.flatnonzero(self.stream == head[0])
        for at in candidates:
            n = min(audio.size, self.stream.size - int(at))
            if n >= head.size and np.array_equal(self.stream[at : at + n], audio[:n]):
                return int(at)
        raise AssertionError("the audio to transcribe is not part of the scripted stream")

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
        """The scripted words that end within `audio`, with times from its start."""
        start_s = self._offset(audio) / SAMPLE_RATE
        end_s = start_s + audio.size / SAMPLE_RATE
        self.calls.append(TranscribeCall(start_s, end_s, prompt, beam_size, first_window_only))
        return [
            w.moved(w.start_s - start_s, w.end_s - start_s)
            for w in self.words
            if w.start_s >= start_s and w.end_s <= end_s
        ]
