"""The Whisper backend: loading (and refusing broken models) and offline accuracy on real speech."""

from __future__ import annotations

import logging
import subprocess
import sys

import numpy as np
import pytest

from openhear.asr.wer import word_errors
from openhear.asr.whisper import load_transcriber
from openhear.errors import ModelError


@pytest.mark.parametrize("kind", ["missing", "file", "empty_dir", "garbage"])
def test_bad_model_path_is_a_one_line_model_error(tmp_path, kind):
    path = tmp_path / "model"
    if kind == "file":
        path.write_text("not a model")
    elif kind == "empty_dir":
        path.mkdir()
    elif kind == "garbage":
        path.mkdir()
        (path / "model.bin").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(ModelError) as err:
        load_transcriber(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_importing_the_backend_leaves_logging_alone():
    """No logging side effects at import (the CLI's logging setup quiets faster-whisper)."""
    code = (
        "import logging, openhear.asr.whisper, faster_whisper;"
        " print(logging.getLogger('faster_whisper').level)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == str(logging.NOTSET)


def test_offline_wer_on_the_transcribed_utterances(transcriber, transcribed, speech_by_id):
    errors = [word_errors(u.text, transcriber.text(speech_by_id[u.id])) for u in transcribed]
    wer = sum(e for e, _ in errors) / sum(n for _, n in errors)
    assert wer <= 0.10, wer  # measured 6.3 % (beam 5, after Whisper's normaliser)


def test_words_carry_times_within_the_audio(transcriber, long_speech, speech_by_id):
    audio = speech_by_id[long_speech.id]
    words = transcriber.transcribe(audio, short_window=None)
    assert len(words) >= 30
    assert all(0 <= w.start_s <= w.end_s <= audio.size / 16000 + 0.1 for w in words)
    assert [w.start_s for w in words] == sorted(w.start_s for w in words)


def test_vocabulary_biases_recognition_towards_a_name(transcriber, manifest, speech_by_id):
    audio = speech_by_id["cmu_arctic_aew_a0002"]  # "... apologized Whittemore."
    assert "Whittemore" not in transcriber.text(audio)
    biased = "".join(w.text for w in transcriber.transcribe(audio, vocabulary=["Whittemore"]))
    assert "Whittemore" in biased


def test_first_window_only_stops_before_a_second_window(transcriber, long_speech, speech_by_id):
    """35 s of speech needs two 30 s windows; `first_window_only` keeps only the first one's
    words."""
    audio = np.concatenate([speech_by_id[long_speech.id]] * 3)
    whole = transcriber.transcribe(audio, beam_size=1, fallback=False)
    first = transcriber.transcribe(audio, beam_size=1, fallback=False, first_window_only=True)
    assert max(w.end_s for w in whole) > 30.0
    assert len(first) >= 30 and max(w.end_s for w in first) <= 30.0


def test_a_long_prompt_and_vocabulary_fit_whispers_token_limit(transcriber, speech_by_id):
    """Hotwords, prompt and new text share Whisper's 448 tokens; faster-whisper refuses a decode
    that asks for more (a ValueError), so the prompt gives way, and a decode that may go on into
    another window gets no bound it could overflow there."""
    audio = np.concatenate(
        [
            speech_by_id["librispeech_dev-clean_2412-153948-0000"],
            speech_by_id["librispeech_dev-clean_2412-153948-0001"],
        ]
    )  # 22 s: a bound of 186 new tokens
    prompt = "It was the best of times, it was the worst of times. " * 20  # 260 tokens
    names = [f"Okafor{i}" for i in range(60)]  # about 200 tokens of hotwords
    for first_window_only in (True, False):
        words = transcriber.transcribe(
            audio, prompt=prompt, vocabulary=names, first_window_only=first_window_only
        )
        assert len(words) >= 40
