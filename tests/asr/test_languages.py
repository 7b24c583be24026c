"""More languages: the multilingual base model of the `languages` extra, joined once and checked;
speech in French, German and Spanish (made by espeak-ng) identified and written in its language;
--language on the commands; English-only models say what to install."""

from __future__ import annotations

import json

import pytest
import soundfile as sf
from spoken_languages import SPEECH, words_of

from openhear.asr.models import (
    LANGUAGES_INSTALL,
    WHISPER_BASE,
    SplitModel,
    joined_model,
    models_dir,
)
from openhear.cli import main
from openhear.errors import ModelError, UsageError


def _audio(path):
    audio, _ = sf.read(path, dtype="float32")
    return audio


@pytest.mark.slow
@pytest.mark.parametrize("language", sorted(SPEECH))
def test_speech_in_another_language_is_identified_and_written_in_it(multilingual, spoken, language):
    sentence, expected = SPEECH[language]
    words = multilingual.transcribe(_audio(spoken(language, sentence)))
    text = "".join(w.text for w in words)
    assert {w.language for w in words} == {language}, text
    assert len(words_of(text) & set(expected)) >= 2, text


@pytest.mark.slow
def test_a_fixed_language_is_the_one_written(multilingual, spoken):
    sentence, expected = SPEECH["es"]
    spanish = multilingual.configured("es")
    words = spanish.transcribe(_audio(spoken("es", sentence)))
    assert {w.language for w in words} == {"es"}
    assert len(words_of("".join(w.text for w in words)) & set(expected)) >= 2
    assert multilingual.language is None  # the shared model keeps identifying


@pytest.mark.slow
def test_the_multilingual_model_is_also_english(multilingual, long_speech):
    from openhear.asr.wer import wer

    words = multilingual.transcribe(_audio(long_speech.path))
    assert {w.language for w in words} == {"en"}
    assert wer(long_speech.text, "".join(w.text for w in words)) <= 0.1


@pytest.mark.slow
def test_translation_writes_other_speech_in_english(multilingual, spoken):
    sentence, expected = SPEECH["fr"]
    english = multilingual.configured("fr", task="translate")
    text = "".join(w.text for w in english.transcribe(_audio(spoken("fr", sentence))))
    assert not words_of(text) & {"je", "voudrais", "un", "et", "s'il", "vous"}, text
    assert words_of(text) & {"hello", "i", "want", "would", "like", "coffee", "please"}, text


def test_the_model_is_joined_once_checked_and_kept(multilingual_data_dir, monkeypatch):
    monkeypatch.setenv("OPENHEAR_DATA_DIR", str(multilingual_data_dir))
    path = joined_model(WHISPER_BASE)
    model_bin = path / "model.bin"
    assert model_bin.stat().st_size == WHISPER_BASE.size_bytes
    assert {p.name for p in path.iterdir()} == {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.json",
    }
    joined_at = model_bin.stat().st_mtime_ns
    assert joined_model(WHISPER_BASE) == path and model_bin.stat().st_mtime_ns == joined_at


def test_damaged_parts_are_refused_and_leave_nothing(multilingual_data_dir, isolated_data_dir):
    damaged = SplitModel(
        directory="damaged",
        parts=WHISPER_BASE.parts,
        files=WHISPER_BASE.files,
        size_bytes=WHISPER_BASE.size_bytes,
        sha256="0" * 64,
    )
    with pytest.raises(ModelError, match="damaged.*reinstall with pip install"):
        joined_model(damaged)
    assert list(models_dir().iterdir()) == []


def test_a_missing_extra_names_the_install_command():
    missing = SplitModel("absent", (("openhear_no_such_package", "model.bin"),), (), 1, "0" * 64)
    with pytest.raises(ModelError) as caught:
        joined_model(missing)
    assert str(caught.value).count("\n") == 0 and LANGUAGES_INSTALL in str(caught.value)


def test_an_english_only_model_refuses_other_languages_and_translation(transcriber):
    assert transcriber.languages == ("en",) and transcriber.language == "en"
    assert transcriber.language_code("en-GB") == "en" == transcriber.language_code("auto")
    with pytest.raises(UsageError, match="--model base"):
        transcriber.configured("fr")
    with pytest.raises(UsageError, match="--model base"):
        transcriber.configured("en", task="translate")


@pytest.mark.parametrize(
    "args",
    [
        ["--model", "tiny.en", "--language", "fr"],
        ["--model", "tiny.en", "--language", "auto"],
    ],
)
def test_caption_with_an_english_only_model_and_another_language_is_a_usage_error(
    capsys, long_speech, args
):
    code = main(["caption", str(long_speech.path), *args])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--model base" in err, err


@pytest.mark.slow
def test_caption_a_french_file_with_language_tags(
    capsys, monkeypatch, multilingual_data_dir, spoken, tmp_path
):
    import io

    import webvtt

    monkeypatch.setenv("OPENHEAR_DATA_DIR", str(multilingual_data_dir))
    path = spoken("fr", SPEECH["fr"][0])
    out = tmp_path / "captions.vtt"
    code = main(["caption", str(path), "--language", "auto", "-f", "vtt", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    vtt = out.read_text()
    assert vtt.startswith("WEBVTT\nLanguage: fr\n\n"), vtt
    assert webvtt.from_buffer(io.StringIO(vtt)).captions
    code = main(["caption", str(path), "--language", "fr", "-f", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["language"] == "fr"
    assert {s["language"] for s in doc["segments"]} == {"fr"}
