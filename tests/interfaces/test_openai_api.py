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
from recorded_containers import encode_recording

from openhear.asr.wer import wer
from openhear.audio.files import iter_sound_file, open_sound_file
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
    """Decoded as openhear reads files (soundfile, else PyAV for aac and streamed flac)."""
    f = open_sound_file(io.BytesIO(data), "the speech")
    rate = f.samplerate
    return np.concatenate([b.samples[:, 0] for b in iter_sound_file(f, "the speech")]), rate


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "opus", "aac"])
def test_speech_formats_decode_to_speech(openai_client, run, fmt):
    client = openai_client()
    response = run(
        client.audio.speech.create(
            model="tts-1", voice="alloy", input="Good morning.", response_format=fmt
        )
    )
    samples, rate = _spoken(response.content)
    assert rate == (48000 if fmt == "opus" else 22050)  # opus runs at 48 kHz
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
    are played at 24 kHz (resampled with state across the streamed blocks)."""
    from openhear.audio import AudioBlock
    from openhear.audio.encoders import PCM_RATE, StreamEncoder

    t = np.arange(22050) / 22050
    tone = 0.5 * np.sin(2 * np.pi * 1000 * t)
    encoder = StreamEncoder("pcm", 22050)
    halves = [AudioBlock.from_mono(tone[:11025], 22050), AudioBlock.from_mono(tone[11025:], 22050)]
    pcm = np.frombuffer(b"".join(encoder.encode(b) for b in halves) + encoder.finish(), "<i2")
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
        run, client.audio.transcriptions.create(model="whisper-1", file=("blank.wav", b""))
    )
    assert status == 400 and body["param"] == "file"
    assert body["message"] == "blank.wav is empty"  # as the command line says, not libsndfile's
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
            model="tts-1", voice="alloy", input="Hi.", response_format="ogg"
        ),
    )
    assert status == 400 and body["param"] == "response_format"
    status, body = _error(
        run,
        client.audio.speech.create(
            model="tts-1", voice="alloy", input="Hi.", stream_format="websocket"
        ),
    )
    assert status == 400 and body["param"] == "stream_format"
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
    assert body["code"] == "invalid_api_key"
    assert run(openai_client(guarded, api_key="a-long-enough-secret-token").models.list()).data


def _arctic(transcribed, utterance_id: str = "cmu_arctic_axb_a0004"):
    return next(u for u in transcribed if u.id == utterance_id)


def test_streamed_transcription_yields_delta_then_done_events(
    openai_client, run, long_speech, tmp_path
):
    """stream=True: the SDK's event stream carries the text as `transcript.text.delta` events
    while the file is transcribed (a delta per window of speech: three copies of the recording,
    36 s, need at least two 28 s windows), then `transcript.text.done` with all of it."""
    client = openai_client()
    speech, rate = sf.read(long_speech.path, dtype="float32")
    pause = np.zeros(rate, np.float32)
    path = tmp_path / "three_times.wav"
    sf.write(path, np.concatenate([speech, pause, speech, pause, speech]), rate)

    async def go():
        stream = await client.audio.transcriptions.create(
            model="whisper-1", file=path, stream=True, include=["logprobs"]
        )
        return [event async for event in stream]

    events = run(go())
    deltas = [e for e in events if e.type == "transcript.text.delta"]
    assert len(deltas) >= 2 and events[-1].type == "transcript.text.done"
    assert len(events) == len(deltas) + 1
    text = events[-1].text
    assert "".join(d.delta for d in deltas) == text
    assert wer(" ".join([long_speech.text] * 3), text) <= 0.15
    logprobs = [lp for d in deltas for lp in d.logprobs]
    assert len(logprobs) == len(text.split()) and all(lp.logprob <= 0.0 for lp in logprobs)


@pytest.mark.parametrize("suffix", ["webm", "ogg", "m4a", "mp4", "aac"])
def test_browser_and_phone_recordings_are_transcribed(openai_client, run, transcribed, suffix):
    """What MediaRecorder (webm/ogg opus) and phones (m4a/mp4 aac) record, made here by PyAV from
    the recorded speech."""
    from openhear.audio.files import read_audio

    utterance = _arctic(transcribed)
    speech = read_audio(utterance.path)
    data = encode_recording(speech.samples[:, 0], speech.sample_rate, suffix)
    result = run(
        openai_client().audio.transcriptions.create(
            model="whisper-1", file=(f"voice.{suffix}", data)
        )
    )
    assert wer(utterance.text, result.text) <= 0.2, result.text


def test_verbose_json_segments_are_complete_and_granularities_honoured(
    openai_client, run, transcribed
):
    utterance = _arctic(transcribed)
    client = openai_client()

    def verbose(granularities):
        return run(
            client.audio.transcriptions.create(
                model="whisper-1",
                file=utterance.path,
                response_format="verbose_json",
                timestamp_granularities=granularities,
                language="en-US",
            )
        )

    segments_only = verbose(["segment"])
    assert segments_only.words is None and segments_only.language == "english"
    for segment in segments_only.segments:  # every field the SDK types as required
        assert -5.0 < segment.avg_logprob <= 0.0
        assert 0.5 < segment.compression_ratio < 2.4
        assert segment.seek == round(segment.start * 100)
        assert segment.temperature == 0.0 and segment.no_speech_prob == 0.0
        assert segment.tokens == []
    words_only = verbose(["word"])
    assert words_only.segments is None and len(words_only.words) == len(words_only.text.split())


def test_json_logprobs_are_whisper_word_probabilities(openai_client, run, transcribed):
    utterance = _arctic(transcribed)
    result = run(
        openai_client().audio.transcriptions.create(
            model="whisper-1", file=utterance.path, include=["logprobs"]
        )
    )
    assert [lp.token.strip() for lp in result.logprobs] == result.text.split()
    assert all(-20.0 < lp.logprob <= 0.0 for lp in result.logprobs)
    assert np.mean([lp.logprob for lp in result.logprobs]) > np.log(0.5)  # clear speech


def test_translation_of_english_is_its_transcription_and_other_languages_say_why(
    openai_client, run, transcribed
):
    utterance = _arctic(transcribed)
    client = openai_client()
    result = run(client.audio.translations.create(model="whisper-1", file=utterance.path))
    assert wer(utterance.text, result.text) <= 0.2
    status, body = _error(
        run,
        client.audio.translations.create(
            model="whisper-1", file=utterance.path, extra_body={"language": "de"}
        ),
    )
    assert status == 400 and body["param"] == "language" and "multilingual" in body["message"]


def test_transcription_options_that_cannot_be_honoured_are_refused(openai_client, run, transcribed):
    utterance = _arctic(transcribed)
    client = openai_client()
    status, body = _error(
        run,
        client.audio.transcriptions.create(model="whisper-1", file=utterance.path, temperature=0.7),
    )
    assert status == 400 and body["param"] == "temperature"
    status, body = _error(
        run,
        client.audio.transcriptions.create(
            model="whisper-1", file=utterance.path, timestamp_granularities=["word"]
        ),
    )
    assert status == 400 and body["param"] == "timestamp_granularities"
    status, body = _error(
        run,
        client.audio.transcriptions.create(
            model="whisper-1", file=("notes.webm", b"\x1a\x45\xdf\xa3 not audio"), stream=True
        ),
    )
    assert status == 400 and body["param"] == "file" and "notes.webm" in body["message"]


def test_one_model_is_retrieved_by_id(openai_client, run):
    client = openai_client()
    assert run(client.models.retrieve("whisper-tiny.en")).id == "whisper-tiny.en"
    assert run(client.models.retrieve("en_US-joe-medium")).owned_by == "openhear"
    with pytest.raises(openai.NotFoundError) as info:
        run(client.models.retrieve("whisper-1"))
    assert info.value.body["code"] == "model_not_found"


def _sse_events(body: bytes) -> list[dict]:
    import json

    return [
        json.loads(line[len("data: ") :])
        for line in body.decode().split("\n")
        if line.startswith("data: ")
    ]


def test_sse_speech_carries_the_audio_in_delta_events(openai_client, run):
    import base64

    response = run(
        openai_client().audio.speech.create(
            model="tts-1",
            voice="alloy",
            input="Good morning. The bus leaves at nine.",
            response_format="pcm",
            stream_format="sse",
        )
    )
    events = _sse_events(response.content)
    deltas = [e for e in events if e["type"] == "speech.audio.delta"]
    assert len(deltas) >= 2 and events[-1]["type"] == "speech.audio.done"
    assert set(events[-1]["usage"]) == {"input_tokens", "output_tokens", "total_tokens"}
    pcm = np.frombuffer(b"".join(base64.b64decode(d["audio"]) for d in deltas), "<i2")
    assert 1.5 < pcm.size / 24000 < 6.0 and np.abs(pcm).max() > 3000


THREE_SENTENCES = (
    "The first sentence is short. The second sentence is a good deal longer than the first one, "
    "so that it takes a while to say. And here is the third and last sentence of the reply."
)


def _asgi_body_messages(app, path: str, body: dict) -> list[bytes]:
    """The body messages the app sends, in order, for a JSON POST (straight through ASGI:
    httpx's ASGITransport would gather them into one)."""
    import asyncio
    import json

    sent: list[bytes] = []
    request = json.dumps(body).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"localhost"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(request)).encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("localhost", 80),
    }
    messages = [{"type": "http.request", "body": request, "more_body": False}]

    async def receive():
        return messages.pop(0) if messages else await asyncio.Event().wait()

    async def send(message):
        if message["type"] == "http.response.start":
            assert message["status"] == 200
        elif message["type"] == "http.response.body" and message.get("body"):
            sent.append(message["body"])

    asyncio.run(app(scope, receive, send))
    return sent


@pytest.mark.parametrize("path", ["/v1/audio/speech", "/api/speak"])
def test_speech_is_sent_sentence_by_sentence(services, path):
    """The first bytes leave before the rest is made: the first body message is the first
    sentence only (a fraction of the whole), and each later sentence follows in its own."""
    from openhear.server import create_app

    app = create_app(ServerOptions(), services)
    body = (
        {"model": "tts-1", "voice": "alloy", "input": THREE_SENTENCES, "response_format": "wav"}
        if path.startswith("/v1")
        else {"text": THREE_SENTENCES}
    )
    chunks = _asgi_body_messages(app, path, body)
    assert len(chunks) >= 3
    whole, rate = _spoken(b"".join(chunks))
    first, _ = _spoken(chunks[0])
    assert rate == 22050
    assert 0.5 < len(first) / rate < 0.4 * len(whole) / rate
    with sf.SoundFile(io.BytesIO(b"".join(chunks))) as f:
        assert "Synthetic speech" in f.comment  # the label survives streaming
