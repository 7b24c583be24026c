"""The OpenAI-compatible audio API, driven by the official openai client on real speech."""

from __future__ import annotations

import io

import numpy as np
import openai
import pytest
import soundfile as sf
import srt
import webvtt
from conftest import BAD_SPEECH

from openhear.asr.wer import wer
from openhear.server import ServerOptions

pytestmark = pytest.mark.slow


def test_transcription_json_matches_the_reference(openai_client, run, transcribed):
    utterances = [u for u in transcribed if u.id.startswith("cmu_arctic")][
        2:6
    ]  # numbers spelt out elsewhere
    client = openai_client()

    async def go():
        return [
            await client.audio.transcriptions.create(model="whisper-1", file=u.path)
            for u in utterances
        ]

    results = run(go())
    refs = " ".join(u.text for u in utterances)
    assert wer(refs, " ".join(r.text for r in results)) <= 0.15


def test_verbose_json_has_timed_segments_and_words(openai_client, run, long_speech):
    client = openai_client()
    result = run(
        client.audio.transcriptions.create(
            model="whisper-1",
            file=long_speech.path,
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
        )
    )
    doc = result.model_dump()
    assert wer(long_speech.text, doc["text"]) <= 0.15
    assert doc["duration"] == pytest.approx(long_speech.duration_s, abs=0.05)
    words = doc["words"]
    assert len(words) == len(doc["text"].split())
    starts = [w["start"] for w in words]
    assert starts == sorted(starts) and all(
        w["start"] <= w["end"] <= doc["duration"] + 0.1 for w in words
    )
    assert [s["text"] for s in doc["segments"]] and doc["segments"][0]["start"] <= words[0][
        "start"
    ] + 0.01


@pytest.mark.parametrize("fmt", ["text", "srt", "vtt"])
def test_text_subtitle_formats(openai_client, run, transcribed, fmt):
    utterance = next(
        u for u in transcribed if u.id == "cmu_arctic_axb_a0004"
    )  # "Lord, but I'm glad to see you again, Phil."
    client = openai_client()
    body = run(
        client.audio.transcriptions.create(
            model="whisper-1", file=utterance.path, response_format=fmt
        )
    )
    if fmt == "srt":
        cues = list(srt.parse(body))
        text = " ".join(c.content for c in cues)
        assert (
            cues[0].start.total_seconds()
            < cues[-1].end.total_seconds()
            <= utterance.duration_s + 0.1
        )
    elif fmt == "vtt":
        cues = webvtt.from_buffer(io.StringIO(body)).captions
        text = " ".join(c.text for c in cues)
    else:
        text = body
    assert wer(utterance.text, text) <= 0.2


def test_transcription_keeps_the_speech_around_bad_samples(
    openai_client, run, damaged_copy, long_speech
):
    """NaN, +-inf and 1e30 in an upload (one among its last 10 samples) cost no words."""
    damaged, _ = damaged_copy(long_speech.path, BAD_SPEECH)
    result = run(openai_client().audio.transcriptions.create(model="whisper-1", file=damaged))
    assert wer(long_speech.text, result.text) <= 0.1, result.text


def test_models_lists_what_is_loaded(openai_client, run):
    models = run(openai_client().models.list())
    assert {m.id for m in models.data} == {"whisper-tiny.en", "en_US-joe-medium"}


def _spoken(data: bytes) -> tuple[np.ndarray, int]:
    samples, rate = sf.read(io.BytesIO(data), dtype="float32")
    return samples, rate


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3"])
def test_speech_formats_decode_to_speech(openai_client, run, fmt):
    client = openai_client()
    response = run(
        client.audio.speech.create(
            model="tts-1", voice="alloy", input="Good morning.", response_format=fmt
        )
    )
    samples, rate = _spoken(response.content)
    assert rate == 22050
    assert 0.4 < samples.shape[0] / rate < 3.0
    assert np.sqrt(np.mean(samples**2)) > 0.01


def test_speech_pcm_is_raw_16_bit_speech(openai_client, run):
    pcm = run(
        openai_client().audio.speech.create(
            model="tts-1", voice="alloy", input="Good morning.", response_format="pcm"
        )
    ).content
    samples = np.frombuffer(pcm, "<i2")
    assert len(pcm) % 2 == 0 and 0.4 < samples.size / 24000 < 3.0
    assert np.abs(samples).max() > 3000


def test_pcm_is_resampled_to_24k_not_relabelled():
    """A 1 kHz tone at Piper's 22050 Hz must still be 1 kHz when the pcm bytes
    are played at 24 kHz."""
    from openhear.audio import AudioBlock
    from openhear.server.openai_api import PCM_RATE, _encode

    t = np.arange(22050) / 22050
    pcm = np.frombuffer(
        _encode(AudioBlock.from_mono(0.5 * np.sin(2 * np.pi * 1000 * t), 22050), "pcm"), "<i2"
    )
    assert pcm.size == pytest.approx(PCM_RATE, abs=2)
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(pcm.size)))
    assert np.fft.rfftfreq(pcm.size, 1 / PCM_RATE)[spectrum.argmax()] == pytest.approx(1000, abs=2)


def test_speech_round_trips_through_transcription(openai_client, run):
    """Secondary check only: the transcription tests above use recorded human speech."""
    client = openai_client()
    text = "Please call the doctor tomorrow morning."

    async def go():
        audio = await client.audio.speech.create(
            model="tts-1", voice="alloy", input=text, response_format="flac"
        )
        return await client.audio.transcriptions.create(
            model="whisper-1", file=("speech.flac", audio.content)
        )

    assert wer(text, run(go()).text) <= 0.15


def _error(run, call) -> tuple[int, dict]:
    with pytest.raises(openai.APIStatusError) as info:
        run(call)
    return info.value.status_code, info.value.body


def test_bad_transcription_requests_are_4xx_with_openai_errors(openai_client, run, noise_clip):
    client = openai_client()
    status, body = _error(
        run,
        client.audio.transcriptions.create(
            model="whisper-1", file=("notes.wav", b"not audio at all")
        ),
    )
    assert status == 400 and body["param"] == "file" and "notes.wav" in body["message"]
    status, body = _error(
        run,
        client.audio.transcriptions.create(
            model="whisper-1", file=noise_clip.path, response_format="tsv"
        ),
    )
    assert (
        status == 400
        and body["param"] == "response_format"
        and body["type"] == "invalid_request_error"
    )
    status, body = _error(
        run,
        client.audio.transcriptions.create(model="whisper-1", file=noise_clip.path, language="de"),
    )
    assert status == 400 and body["param"] == "language"
    missing = client.post(
        "/audio/transcriptions",
        cast_to=object,
        body={"model": "whisper-1"},
        options={"headers": {"Content-Type": "multipart/form-data"}},
        files=[],
    )
    status, body = _error(run, missing)
    assert status == 400 and body["param"] == "file"


def test_bad_speech_requests_are_4xx_with_openai_errors(openai_client, run):
    client = openai_client()
    status, body = _error(
        run, client.audio.speech.create(model="tts-1", voice="alloy", input="   ")
    )
    assert status == 400 and body["param"] == "input"
    status, body = _error(
        run,
        client.audio.speech.create(
            model="tts-1", voice="alloy", input="Hi.", response_format="opus"
        ),
    )
    assert status == 400 and body["param"] == "response_format"
    status, body = _error(
        run, client.audio.speech.create(model="tts-1", voice="alloy", input="Hi.", speed=9.0)
    )
    assert status == 400 and body["param"] == "speed"
    status, body = _error(
        run, client.post("/audio/speech", cast_to=object, body={"model": "tts-1", "voice": "alloy"})
    )
    assert status == 400 and body["param"] == "input"
    assert set(body) == {"message", "type", "param", "code"}


def test_too_large_and_unauthorised_requests_are_refused(openai_client, run, long_speech):
    small = openai_client(ServerOptions(max_upload_bytes=100_000))
    status, body = _error(
        run, small.audio.transcriptions.create(model="whisper-1", file=long_speech.path)
    )
    assert status == 413 and "too large" in body["message"]
    guarded = ServerOptions(token="a-long-enough-secret-token")
    status, body = _error(
        run, openai_client(guarded, api_key="wrong-token-wrong-token").models.list()
    )
    assert status == 401 and set(body) == {"message", "type", "param", "code"}
    assert run(openai_client(guarded, api_key="a-long-enough-secret-token").models.list()).data
