"""The Piper voice: loading, sentence-by-sentence synthesis, options, awkward
text, broken voices."""

from __future__ import annotations

import json
import shutil
import tracemalloc

import numpy as np
import pytest

from openhear.errors import ModelError
from openhear.tts.piper import BUNDLED_VOICE_NAME, bundled_voice_paths, load_voice
from openhear.tts.speech import SpeechOptions


def _leading_silence_s(block, threshold=1e-3):
    loud = np.flatnonzero(np.abs(block.mono()) > threshold)
    return loud[0] / block.sample_rate


def test_bundled_voice_loads(voice):
    assert voice.name == BUNDLED_VOICE_NAME
    assert voice.sample_rate == 22050


def test_one_block_per_sentence_with_contiguous_times(voice):
    blocks = list(voice.synthesize("Good morning. How are you today? I am fine."))
    assert len(blocks) == 3
    for prev, nxt in zip(blocks, blocks[1:], strict=False):
        assert nxt.start_s == pytest.approx(prev.end_s)
    assert all(
        b.channels == 1 and b.sample_rate == 22050 and b.samples.dtype == np.float32 for b in blocks
    )
    assert all(np.abs(b.mono()).max() > 0.3 for b in blocks)


def test_pause_is_inserted_before_every_sentence_but_the_first(voice):
    short = list(voice.synthesize("Hello. Goodbye.", SpeechOptions(pause_ms=0)))
    long = list(voice.synthesize("Hello. Goodbye.", SpeechOptions(pause_ms=800)))
    assert _leading_silence_s(long[0]) == pytest.approx(_leading_silence_s(short[0]), abs=0.02)
    assert _leading_silence_s(long[1]) - _leading_silence_s(short[1]) == pytest.approx(0.8, abs=0.1)


def test_speed_changes_the_duration(voice):
    text = "The bus was late again this morning."

    def duration_s(speed: float) -> float:
        """Mean over 3 syntheses: Piper draws its phoneme durations at random (a
        few per cent a run)."""
        return np.mean(
            [
                sum(b.duration_s for b in voice.synthesize(text, SpeechOptions(speed=speed)))
                for _ in range(3)
            ]
        )

    # about 0.36 rather than 0.25: Piper rounds every phoneme up to whole frames, so 4x faster
    # speech is less than 4x shorter
    assert 0.15 < duration_s(2.0) / duration_s(0.5) < 0.4


def test_volume_scales_the_peak(voice):
    (full,) = voice.synthesize("Hello.")
    (half,) = voice.synthesize("Hello.", SpeechOptions(volume=0.5))
    assert np.abs(full.mono()).max() == pytest.approx(1.0, abs=0.01)
    assert np.abs(half.mono()).max() == pytest.approx(0.5, abs=0.01)


def test_without_variation_the_same_words_sound_the_same_every_time(voice):
    def said(options: SpeechOptions) -> np.ndarray:
        return np.concatenate([b.mono() for b in voice.synthesize("Call me back.", options)])

    fixed = [said(SpeechOptions(variation=0.0)) for _ in range(2)]
    assert np.array_equal(fixed[0], fixed[1])
    varied = [said(SpeechOptions()) for _ in range(2)]
    assert varied[0].size != varied[1].size or not np.array_equal(varied[0], varied[1])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"speed": 0},
        {"speed": 10},
        {"volume": 2},
        {"volume": -1},
        {"pause_ms": -5},
        {"variation": -0.1},
        {"variation": 1.5},
    ],
)
def test_out_of_range_options_are_refused(kwargs):
    with pytest.raises(Exception, match="out of range"):
        SpeechOptions(**kwargs)


@pytest.mark.parametrize(
    "text", ["Привет, как дела?", "你好世界", "مرحبا", "I love it 😀🎉", "a\x00b\x07c\x1b[31m red"]
)
def test_emoji_non_latin_and_control_characters_never_crash(voice, text):
    blocks = list(voice.synthesize(text))
    assert sum(b.frames for b in blocks) > 0


def test_punctuation_only_gives_no_audio_and_is_known_unspeakable_beforehand(voice):
    assert list(voice.synthesize("... ??? - ()")) == []
    assert not voice.speakable("... ??? - ()")
    assert voice.speakable("Hi.") and voice.speakable("... 42 ...")
    assert sum(b.frames for b in voice.synthesize("... 42 ...")) > 0


def test_one_megabyte_of_text_streams_in_bounded_memory(voice):
    megabyte = "Please remember to water the plants while I am away. " * 20_000
    assert len(megabyte) > 1_000_000
    blocks = voice.synthesize(megabyte)
    tracemalloc.start()
    try:
        first = [next(blocks) for _ in range(3)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert all(b.duration_s > 1.0 for b in first)
    assert (
        peak < 5_000_000
    )  # three sentences of audio, not a megabyte of phonemes or hours of samples


def _voice_dir(tmp_path, model: bytes | None, config: str | None):
    path = tmp_path / "v.onnx"
    if model is not None:
        path.write_bytes(model)
    if config is not None:
        (tmp_path / "v.onnx.json").write_text(config)
    return path


def test_missing_voice_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="voice model not found"):
        load_voice(tmp_path / "nope.onnx")


def test_voice_without_its_config_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="voice config not found"):
        load_voice(_voice_dir(tmp_path, b"x", None))


def test_broken_config_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="not valid JSON"):
        load_voice(_voice_dir(tmp_path, b"x", "{nope"))
    with pytest.raises(ModelError, match="not a Piper voice config"):
        load_voice(_voice_dir(tmp_path, b"x", "{}"))


def test_broken_model_is_a_model_error(tmp_path):
    config = bundled_voice_paths()[1].read_text()
    with pytest.raises(ModelError, match="cannot load voice model"):
        load_voice(_voice_dir(tmp_path, b"not an onnx model", config))


def test_a_user_voice_loads_from_its_onnx_path(tmp_path):
    model, config = bundled_voice_paths()
    shutil.copy(model, tmp_path / "custom.onnx")
    (tmp_path / "custom.onnx.json").write_text(json.dumps(json.loads(config.read_text())))
    custom = load_voice(tmp_path / "custom.onnx", warm_up=False)
    assert custom.name == "custom"
    assert sum(b.frames for b in custom.synthesize("Hello.")) > 0
