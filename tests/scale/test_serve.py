"""`openhear serve --ray`: the web app on Ray Serve answers the caption WebSocket and the
OpenAI-compatible endpoints exactly as the plain server does (the same client code against both),
refuses streams past a replica's limit with "busy" (1013), and answers model requests with 503 and
Retry-After while saturated."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import time

import httpx
import pytest
from server.live import TEST_OPTIONS, LiveApp, caption_over_socket, pcm16
from websockets.asyncio.client import connect

from openhear.asr.wer import wer
from openhear.server import create_app
from openhear.server.services import load_services

SHORT_ID = "cmu_arctic_aew_a0003"


def utterance(manifest, uid):
    return next(u for u in manifest if u.id == uid)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ray_app(local_ray, tmp_path_factory):
    """The app on Ray Serve: 2 replicas of half a CPU each, one caption stream per replica."""
    from openhear.scale.serve import ScaleOptions, deploy, shutdown

    options = dataclasses.replace(TEST_OPTIONS, port=free_port(), max_caption_sessions=1)
    data = tmp_path_factory.mktemp("ray-data")
    deploy(options, ScaleOptions(replicas=2, replica_cpus=0.5), str(data))
    yield LiveApp(f"http://127.0.0.1:{options.port}", options, None, None)  # models in replicas
    shutdown()


@pytest.mark.slow
def test_a_caption_stream_and_a_transcription_answer_as_on_the_plain_server(
    live_app, ray_app, manifest
):
    speech = utterance(manifest, SHORT_ID)
    pcm, rate = pcm16(speech.path, 16000)
    plain = asyncio.run(caption_over_socket(live_app.ws_url, pcm, rate))
    on_ray = asyncio.run(caption_over_socket(ray_app.ws_url, pcm, rate))
    for run in (plain, on_ray):  # live decodes are skipped while a stream lags: not bit-equal
        assert run["events"][0] == {"type": "ready"} and run["events"][-1] == {"type": "end"}
        assert all({"type", "text", "start_s", "end_s"} <= set(e) for e in run["events"][1:-1])
        assert wer(speech.text, run["text"]) <= 0.2, run["text"]

    def transcribe(url: str) -> dict:
        with speech.path.open("rb") as f:
            response = httpx.post(
                f"{url}/v1/audio/transcriptions",
                files={"file": ("speech.wav", f, "audio/wav")},
                data={"model": "whisper-1", "response_format": "verbose_json"},
                timeout=120,
            )
        assert response.status_code == 200, response.text
        return response.json()

    assert transcribe(ray_app.url) == transcribe(live_app.url)
    health = httpx.get(f"{ray_app.url}/api/health", timeout=30).json()
    assert health["captions"]["max_sessions"] == 1


async def _first_messages(ws_url: str, n: int) -> list[tuple[dict, int | None]]:
    """Opens n caption sessions at once; each one's first event, and its close code when the
    server closed it (None for those left open until the end)."""
    from websockets.exceptions import ConnectionClosed

    sockets = [await connect(ws_url) for _ in range(n)]
    try:
        for ws in sockets:
            try:
                await ws.send(json.dumps({"type": "start", "sample_rate": 16000}))
            except ConnectionClosed:
                pass  # refused on arrival: its "busy" message waits to be read
        first = [json.loads(await ws.recv()) for ws in sockets]
        for ws, event in zip(sockets, first, strict=True):
            if event["type"] == "busy":
                await ws.wait_closed()
        return [(e, ws.close_code) for e, ws in zip(first, sockets, strict=True)]
    finally:
        for ws in sockets:
            await ws.close()


@pytest.mark.slow
def test_streams_past_the_replicas_limits_are_told_busy(ray_app):
    answers = asyncio.run(_first_messages(ray_app.ws_url, 3))  # 2 replicas admit one each
    busy = [(e, code) for e, code in answers if e["type"] == "busy"]
    assert len(busy) >= 1 and all(code == 1013 for _, code in busy), answers
    assert {e["type"] for e, _ in answers} <= {"ready", "busy"}, answers
    assert busy[0][0]["message"].startswith("The server is busy"), answers


def test_a_saturated_replica_answers_model_requests_with_503_and_retry_after(tmp_path):
    from fastapi.testclient import TestClient

    from openhear.scale.serve import add_busy_guard

    app = create_app(TEST_OPTIONS, load_services(tmp_path, captions=False, speech=False))
    add_busy_guard(app, limit=0)  # as if its model requests were all running
    with TestClient(app, base_url="http://127.0.0.1") as client:
        response = client.post("/v1/audio/speech", json={"model": "tts-1", "input": "hello"})
        assert response.status_code == 503
        assert response.headers["retry-after"] == "30"
        assert response.json()["error"]["code"] == "server_busy"
        assert client.get("/api/health").status_code == 200  # the rest passes


async def _held_streams(ws_url: str, n: int) -> list:
    """n caption sessions that the server admitted (on a busy answer, asked again)."""
    from websockets.exceptions import ConnectionClosed

    held = []
    while len(held) < n:
        ws = await connect(ws_url)
        try:
            await ws.send(json.dumps({"type": "start", "sample_rate": 16000}))
        except ConnectionClosed:
            pass  # refused on arrival: its "busy" message waits to be read
        if json.loads(await ws.recv())["type"] == "ready":
            held.append(ws)
        else:
            await ws.close()
            await asyncio.sleep(0.2)
    return held


async def _finish(ws, pcm: bytes) -> str | None:
    """Sends the speech and a stop; the finals' text, or None if the stream was cut."""
    from websockets.exceptions import ConnectionClosed

    finals = []
    try:
        for i in range(0, len(pcm), 3200):
            await ws.send(pcm[i : i + 3200])
        await ws.send(json.dumps({"type": "stop"}))
        async for message in ws:
            event = json.loads(message)
            if event["type"] == "final":
                finals.append(event["text"])
            elif event["type"] == "error":
                return None
    except ConnectionClosed:
        return None
    return " ".join(finals)


@pytest.mark.slow
def test_a_killed_replica_is_replaced_and_the_other_replicas_stream_goes_on(
    local_ray, ray_app, manifest
):
    from ray import serve

    speech = utterance(manifest, SHORT_ID)
    pcm, _ = pcm16(speech.path, 16000)

    def replicas() -> list[dict]:
        named = local_ray.util.list_named_actors(all_namespaces=True)
        return [a for a in named if a["name"].startswith("SERVE_REPLICA::")]

    killed = replicas()[0]

    async def scenario() -> list[str | None]:
        streams = await _held_streams(ray_app.ws_url, 2)  # one per replica (limit 1 each)
        local_ray.kill(local_ray.get_actor(killed["name"], namespace=killed["namespace"]))
        return await asyncio.gather(*(_finish(ws, pcm) for ws in streams))

    texts = asyncio.run(scenario())
    assert sorted(texts, key=lambda t: t is None)[1] is None, texts  # one cut, with its replica
    assert wer(speech.text, next(t for t in texts if t is not None)) <= 0.2, texts

    def replaced() -> bool:
        status = serve.status().applications["openhear"].deployments["openhear"]
        names = [a["name"] for a in replicas()]
        return killed["name"] not in names and status.replica_states.get("RUNNING", 0) == 2

    for _ in range(600):  # Serve starts a replica in the dead one's place
        if replaced():
            break
        time.sleep(0.2)
    assert replaced()
    again = asyncio.run(caption_over_socket(ray_app.ws_url, pcm, 16000))
    assert wer(speech.text, again["text"]) <= 0.2, again["text"]


def test_bad_ray_serve_command_lines_answer_one_line(capsys):
    from openhear.cli import main

    for args, message in [
        (["--address", "auto"], "goes with --ray"),
        (["--ray", "--min-replicas", "1"], "go together"),
        (["--ray", "--min-replicas", "3", "--max-replicas", "2"], "<= --max-replicas"),
        (["--ray", "--replica-cpus", "0"], "--replica-cpus"),
        (["--ray", "--replicas", "0"], "--replicas"),
    ]:
        assert main(["serve", *args]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err
