"""Other languages over the interfaces, with the multilingual base model loaded: the OpenAI
`language` parameter and translations, Wyoming's languages and transcripts, the page's caption
session and health check."""

from __future__ import annotations

import httpx
import openai
import pytest
import soundfile as sf
from spoken_languages import SPEECH, words_of
from wyoming.asr import Transcribe, Transcript
from wyoming.info import Describe, Info

from openhear.server import ServerOptions, create_app
from openhear.server.services import Services

from .test_wyoming import _send_audio, _until, talk

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def multilingual_services(tmp_path_factory, multilingual, voice) -> Services:
    return Services(
        data_dir=tmp_path_factory.mktemp("languages-data"), transcribers=[multilingual], voice=voice
    )


@pytest.fixture
def client(multilingual_services):
    app = create_app(ServerOptions(), multilingual_services)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")
    return openai.AsyncOpenAI(
        api_key="none", base_url="http://localhost/v1", http_client=http, max_retries=0
    )


def test_openai_transcription_identifies_or_takes_the_language(client, run, spoken):
    sentence, expected = SPEECH["de"]
    path = spoken("de", sentence)
    models = run(client.models.list())
    assert "whisper-base" in {m.id for m in models.data}
    result = run(
        client.audio.transcriptions.create(
            model="whisper-1", file=path, response_format="verbose_json"
        )
    )
    assert result.language == "de" and len(words_of(result.text) & set(expected)) >= 2
    fixed = run(
        client.audio.transcriptions.create(
            model="whisper-1", file=path, language="de", response_format="verbose_json"
        )
    )
    assert fixed.language == "de" and len(words_of(fixed.text) & set(expected)) >= 2
    with pytest.raises(openai.BadRequestError) as refused:
        run(client.audio.transcriptions.create(model="whisper-1", file=path, language="xx"))
    assert refused.value.body["param"] == "language"


def test_openai_translation_is_english(client, run, spoken):
    path = spoken("fr", SPEECH["fr"][0])
    result = run(
        client.audio.translations.create(
            model="whisper-1", file=path, response_format="verbose_json"
        )
    )
    assert result.task == "translate" and result.language == "fr", result
    assert not words_of(result.text) & {"je", "voudrais", "et", "vous"}, result.text


def test_wyoming_lists_the_languages_and_answers_in_the_one_heard(multilingual_services, spoken):
    path = spoken("es", SPEECH["es"][0])

    async def script(client):
        await client.write_event(Describe().event())
        info = Info.from_event((await _until(client, "info"))[-1])
        samples, rate = sf.read(path, dtype="float32")
        transcripts = []
        for language in (None, "es-ES"):
            await client.write_event(Transcribe(language=language).event())
            await _send_audio(client, samples, rate)
            transcripts.append(Transcript.from_event((await _until(client, "transcript"))[-1]))
        return info, transcripts

    info, transcripts = talk(multilingual_services, script, tts=False)
    model = info.asr[0].models[0]
    assert model.name == "whisper-base" and len(model.languages) == 99
    assert {"en", "fr", "de", "es"} <= set(model.languages)
    for transcript in transcripts:
        assert transcript.language == "es"
        assert len(words_of(transcript.text) & set(SPEECH["es"][1])) >= 2, transcript.text


def test_page_session_takes_a_language_and_tags_the_captions(multilingual_services, spoken):
    import asyncio
    import contextlib
    import json

    import numpy as np
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from openhear.server.runner import BackgroundServer

    samples, rate = sf.read(spoken("fr", SPEECH["fr"][0]), dtype="float32")
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()

    async def session(url: str, language: str) -> list[dict]:
        events = []
        async with connect(url, max_size=None) as ws:
            await ws.send(json.dumps({"type": "start", "sample_rate": rate, "language": language}))
            events.append(json.loads(await ws.recv()))
            if events[-1]["type"] == "ready":
                await ws.send(pcm)
                await ws.send(json.dumps({"type": "stop"}))
            with contextlib.suppress(ConnectionClosed):  # a refusal closes with 1008
                async for message in ws:
                    events.append(json.loads(message))
        return events

    server = BackgroundServer(create_app(ServerOptions(), multilingual_services), ServerOptions())
    try:
        health = httpx.get(server.url + "/api/health").json()["captions"]
        ws_url = server.url.replace("http://", "ws://") + "/ws/captions"
        events = asyncio.run(asyncio.wait_for(session(ws_url, "auto"), 120))
        refused = asyncio.run(asyncio.wait_for(session(ws_url, "klingon"), 30))
    finally:
        server.stop()
    assert health["model"] == "whisper-base" and health["language"] is None
    assert len(health["languages"]) == 99
    finals = [e for e in events if e["type"] == "final"]
    assert finals and {f["language"] for f in finals} == {"fr"}, events
    assert words_of(" ".join(f["text"] for f in finals)) & set(SPEECH["fr"][1])
    assert refused[0]["type"] == "error" and "klingon" in refused[0]["message"]
