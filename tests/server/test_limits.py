"""No client can exhaust the server: slow request heads and bodies are cut off, caption sessions
that fall too far behind or go silent are ended, and inputs out of range (deep JSON, ids past
64 bits, NaN, text with nothing to say, truncated or unreadable uploads) get a one-line 4xx. Each
time, the server keeps answering everyone else."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from openhear.server import ServerOptions, create_app
from openhear.server.limits import MAX_JSON_DEPTH, JsonDepth, JsonTooDeep, check_json_depth
from openhear.server.runner import BackgroundServer
from openhear.server.services import Services
from server.live import TEST_OPTIONS, pcm16

SHORT = {"header_timeout_s": 1.0, "body_timeout_s": 1.0}
"""Timeouts small enough to watch them act within a test."""
TOO_BIG_ID = 99999999999999999999999
"""Past SQLite's (and Python's sqlite3 module's) 64-bit integers."""


def one_line_error(response: httpx.Response) -> str:
    message = response.json()["error"]["message"]
    assert "\n" not in message and "Traceback" not in message and " at 0x" not in message
    return message


@pytest.fixture(scope="module")
def quick_server(tmp_path_factory):
    """An app without models whose request heads and bodies must come within 1 s."""
    options = ServerOptions(**SHORT)
    server = BackgroundServer(
        create_app(options, Services(data_dir=tmp_path_factory.mktemp("data"))), options
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bounded_captions(live_app):
    """The live app's models behind an app whose caption sessions may queue 2 s of audio and stay
    silent 2 s, and whose new sessions are refused while one is 3 s behind (the default)."""
    options = replace(
        TEST_OPTIONS,
        max_queued_audio_s=2.0,
        caption_idle_timeout_s=2.0,
        max_backlog_s=3.0,
        **SHORT,
    )
    server = BackgroundServer(create_app(options, live_app.services), options)
    yield server
    server.stop()


async def _health(client: httpx.AsyncClient, url: str) -> dict:
    answer = await client.get(f"{url}/api/health", timeout=30.0)  # bounded: only a hang fails
    assert answer.status_code == 200
    return answer.json()


async def _events_until_closed(ws, give_up_s: float = 30.0) -> list[dict]:
    """The events until the server closes the socket (which it must within `give_up_s`)."""
    events = []
    try:
        async with asyncio.timeout(give_up_s):
            async for message in ws:
                events.append(json.loads(message))
    except ConnectionClosed:
        pass
    return events


# --- slow clients -------------------------------------------------------------------------------


async def _trickle(
    port: int, data: bytes, head: bytes = b"", every_s: float = 0.2, give_up_s: float = 15.0
) -> bytes:
    """Sends `head` at once, then `data` a byte every `every_s` until the server closes the
    connection; returns what it answered (empty when it closed without a word). Fails if the
    connection is still open after `give_up_s`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    answer = b""
    loop = asyncio.get_running_loop()
    end = loop.time() + give_up_s
    try:
        for byte in data:
            writer.write(bytes([byte]))
            try:
                chunk = await asyncio.wait_for(reader.read(4096), every_s)
            except TimeoutError:
                continue
            finally:
                assert loop.time() < end, f"still open after {give_up_s} s"
            if not chunk:
                return answer
            answer += chunk
        raise AssertionError("the data ran out before the server closed the connection")
    except ConnectionError:
        return answer
    finally:
        writer.close()


async def _settled(client: httpx.AsyncClient, url: str) -> dict:
    """The health once the caption sessions that were just closed have left (within 5 s)."""
    for _ in range(100):
        health = await _health(client, url)
        if health["captions"]["active_sessions"] == 0:
            break
        await asyncio.sleep(0.05)
    return health


def test_slow_request_heads_are_cut_off_while_others_are_answered(quick_server):
    """50 slowloris connections (a header byte every 0.2 s, which never ends) are all closed by
    the 1 s header deadline; the health check answers while they are open."""
    head = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000

    async def run():
        slow = [asyncio.create_task(_trickle(quick_server.port, head)) for _ in range(50)]
        await asyncio.sleep(0.3)
        async with httpx.AsyncClient() as client:
            health = await _health(client, quick_server.url)
        assert not any(task.done() for task in slow)  # the slow ones were still connected
        return health, await asyncio.gather(*slow)

    health, answers = asyncio.run(run())
    assert health["status"] == "ok"
    assert answers == [b""] * 50


def test_a_slow_body_is_answered_408_and_its_connection_closed(quick_server):
    body = json.dumps({"format": "txt", "cues": []}).encode() + b" " * 200
    head = (
        b"POST /api/captions/export HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    )

    async def run():
        slow = asyncio.create_task(_trickle(quick_server.port, body, head))
        await asyncio.sleep(0.3)
        async with httpx.AsyncClient() as client:
            health = await _health(client, quick_server.url)
        assert not slow.done()
        return health, await slow

    health, answer = asyncio.run(run())
    assert health["status"] == "ok"
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408") and b"connection: close" in head.lower()
    message = json.loads(payload)["error"]["message"]
    assert message == "the request body did not arrive within 1 s"


def test_a_kept_alive_connection_must_send_its_next_head_in_time(quick_server):
    """After an answer, the next request head is due within the deadline too."""
    first = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    slow = b"GET /api/health HTTP/1.1\r\nX-Slow: " + b"a" * 1000
    answer = asyncio.run(_trickle(quick_server.port, slow, first))
    assert answer.startswith(b"HTTP/1.1 200") and answer.count(b"HTTP/1.1") == 1


# --- caption sessions ---------------------------------------------------------------------------


@pytest.mark.slow
def test_a_caption_flood_is_ended_too_far_behind_and_new_sessions_are_admitted(
    bounded_captions, long_speech
):
    """A client sending 60 s of speech as fast as it can is ended once 2 s wait to be captioned
    (it used to queue all of it, and its backlog made every new session "busy"); the health check
    answers meanwhile, and a new session is admitted as soon as the flood is gone."""
    pcm, rate = pcm16(long_speech.path, rate=16000)
    ws_url = bounded_captions.url.replace("http://", "ws://") + "/ws/captions"
    chunk = 4000 * 2  # 0.25 s

    async def flood():
        async with connect(ws_url, max_size=None) as ws:
            await ws.send(json.dumps({"type": "start", "sample_rate": rate}))
            assert json.loads(await ws.recv()) == {"type": "ready"}
            try:
                for _ in range(5):
                    for i in range(0, len(pcm), chunk):
                        await ws.send(pcm[i : i + chunk])
            except ConnectionClosed:
                pass
            events = await _events_until_closed(ws)
        return events, ws.close_code

    async def poll(client, until: asyncio.Task) -> list[dict]:
        answers = [await _health(client, bounded_captions.url)]
        while not until.done():
            answers.append(await _health(client, bounded_captions.url))
            await asyncio.sleep(0.02)
        return answers

    async def run():
        async with httpx.AsyncClient() as client:
            flooding = asyncio.create_task(flood())
            during = await poll(client, flooding)
            events, code = await flooding
            after = await _settled(client, bounded_captions.url)
        async with connect(ws_url) as ws:
            await ws.send(json.dumps({"type": "start", "sample_rate": rate}))
            next_session = json.loads(await ws.recv())
        return events, code, during, after, next_session

    events, code, during, after, next_session = asyncio.run(run())
    assert code == 1013
    assert events[-1]["type"] == "error" and "too far behind" in events[-1]["message"]
    assert all(h["captions"]["backlog_s"] <= 2.0 for h in during)
    assert after["captions"]["active_sessions"] == 0
    assert next_session == {"type": "ready"}


@pytest.mark.slow
def test_silent_caption_sessions_are_ended_and_free_their_places(bounded_captions):
    """Four sessions that start and then send nothing hold every place (a fifth is told "busy"),
    until the 2 s idle limit ends them; then a new session is admitted."""
    ws_url = bounded_captions.url.replace("http://", "ws://") + "/ws/captions"
    start = json.dumps({"type": "start", "sample_rate": 16000})

    async def silent():
        async with connect(ws_url) as ws:
            await ws.send(start)
            events = await _events_until_closed(ws)
        return events, ws.close_code

    async def run():
        silents = [asyncio.create_task(silent()) for _ in range(4)]
        async with httpx.AsyncClient() as client:
            while (await _health(client, bounded_captions.url))["captions"]["active_sessions"] < 4:
                await asyncio.sleep(0.05)
            async with connect(ws_url) as ws:
                busy = json.loads(await ws.recv())
            ended = await asyncio.gather(*silents)
            after = await _settled(client, bounded_captions.url)
        async with connect(ws_url) as ws:
            await ws.send(start)
            next_session = json.loads(await ws.recv())
        return busy, ended, after, next_session

    busy, ended, after, next_session = asyncio.run(run())
    assert busy["type"] == "busy"
    for events, code in ended:
        assert events[0] == {"type": "ready"} and code == 1008
        assert events[-1]["type"] == "error" and "nothing received for 2 s" in events[-1]["message"]
    assert after["captions"]["active_sessions"] == 0
    assert next_session == {"type": "ready"}


# --- bad input ----------------------------------------------------------------------------------

JSON = {"content-type": "application/json"}
INFINITE_CUE = '{"format": "srt", "cues": [{"text": "", "start_s": 0, "end_s": 1e999}]}'
"""1e999 parses as infinity in Python's JSON reader."""


@pytest.mark.parametrize(
    "method, path, kwargs, status, words",
    [
        ("GET", f"/api/conversations/{TOO_BIG_ID}", {}, 404, "no conversation"),
        ("GET", f"/api/conversations/{TOO_BIG_ID}/export", {}, 404, "no conversation"),
        ("DELETE", f"/api/conversations/{TOO_BIG_ID}", {}, 404, "no conversation"),
        ("DELETE", f"/api/phrases/{TOO_BIG_ID}", {}, 404, "no saved phrase"),
        ("POST", "/api/captions/export", {"content": "[" * 100_000, "headers": JSON}, 400, "deep"),
        ("POST", "/api/speak", {"content": '{"text":' * 100_000}, 400, "nested more than 32"),
        ("POST", "/v1/audio/speech", {"content": "[" * 100_000, "headers": JSON}, 400, "deep"),
        ("GET", "/", {"headers": {"host": "[::1"}}, 400, "Host"),
        (
            "POST",
            "/api/captions/export",
            {"headers": {"origin": "http://[::1"}},
            403,
            "another site",
        ),
        (
            "POST",
            "/api/amplifier/adjust",
            {"content": '{"tone_db": NaN}', "headers": JSON},
            422,
            "finite",
        ),
        ("POST", "/api/amplifier/start", {"json": {"input_device": TOO_BIG_ID}}, 422, "less than"),
        (
            "POST",
            "/api/captions/export",
            {"content": INFINITE_CUE, "headers": JSON},
            422,
            "finite",
        ),
    ],
)
def test_out_of_range_input_gets_a_4xx_with_one_line_of_json(
    quick_server, method, path, kwargs, status, words
):
    answer = httpx.request(method, f"{quick_server.url}{path}", **kwargs)
    assert answer.status_code == status
    assert words in one_line_error(answer)
    assert httpx.get(f"{quick_server.url}/api/health").status_code == 200


def test_brackets_in_strings_are_not_nesting_and_a_split_escape_is_followed():
    check_json_depth(json.dumps({"text": "[" * 1000 + '\\"{' * 1000}))
    meter = JsonDepth()
    meter.feed(b'{"a": "x\\')  # the piece ends inside an escape: the next quote is escaped
    meter.feed(b'"' + b"[" * 100 + b'"}')
    with pytest.raises(JsonTooDeep):
        check_json_depth("[" * (MAX_JSON_DEPTH + 1))
    check_json_depth("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)


def _truncated_wav(path) -> bytes:
    """A real WAV with its last half cut off (its header still promises all of it)."""
    data = path.read_bytes()
    return data[: len(data) // 2]


def test_unreadable_and_truncated_recordings_are_refused_by_name(quick_server, manifest):
    speech = next(u for u in manifest if u.id == "cmu_arctic_axb_a0005")
    listener = {
        side: {"frequencies_hz": [500, 1000, 2000, 4000], "levels_db_hl": [20, 30, 40, 50]}
        for side in ("left", "right")
    }
    form = {"mode": "before", "listener": json.dumps(listener)}
    for content, words in [
        (_truncated_wav(speech.path), "mine.wav is truncated"),
        (b"not audio at all" * 10, "cannot read mine.wav as audio (Format not recognised.)"),
    ]:
        answer = httpx.post(
            f"{quick_server.url}/api/fitting/listen",
            data=form,
            files={"file": ("mine.wav", content)},
        )
        assert answer.status_code == 400 and words in one_line_error(answer)


@pytest.mark.slow
def test_uploads_to_the_openai_api_are_refused_like_the_cli_refuses_files(live_app, manifest):
    speech = next(u for u in manifest if u.id == "cmu_arctic_axb_a0005")
    url = f"{live_app.url}/v1/audio/transcriptions"
    for content, words in [
        (_truncated_wav(speech.path), "talk.wav is truncated"),
        (b"not audio at all" * 10, "cannot read talk.wav as audio (Format not recognised.)"),
    ]:
        answer = httpx.post(url, files={"file": ("talk.wav", content)}, data={"model": "whisper-1"})
        assert answer.status_code == 400 and words in one_line_error(answer)
        assert answer.json()["error"]["param"] == "file"
    whole = httpx.post(url, files={"file": ("talk.wav", speech.path.read_bytes())}, timeout=60)
    assert whole.status_code == 200 and whole.json()["text"]


@pytest.mark.slow
@pytest.mark.parametrize("text", ["...", "?! -- ()", "\u200b\u200b"])
def test_text_with_nothing_to_say_is_refused_not_spoken_as_silence(live_app, text):
    speech = httpx.post(
        f"{live_app.url}/v1/audio/speech",
        json={"model": "tts-1", "voice": "alloy", "input": text, "response_format": "wav"},
    )
    assert speech.status_code == 400 and speech.json()["error"]["param"] == "input"
    assert one_line_error(speech).startswith("nothing to say")
    conversation = httpx.post(f"{live_app.url}/api/conversations", json={"disclosure": False})
    conversation_id = conversation.json()["conversation"]["id"]
    for body in ({"text": text}, {"text": text, "conversation_id": conversation_id}):
        spoken = httpx.post(f"{live_app.url}/api/speak", json=body)
        assert spoken.status_code == 400 and one_line_error(spoken).startswith("nothing to say")
    stored = httpx.get(f"{live_app.url}/api/conversations/{conversation_id}").json()
    assert stored["entries"] == []  # the refused reply was not stored


@pytest.mark.slow
def test_a_reply_to_an_impossible_conversation_is_a_400(live_app):
    answer = httpx.post(
        f"{live_app.url}/api/speak", json={"text": "hello", "conversation_id": TOO_BIG_ID}
    )
    assert answer.status_code == 400 and "no conversation" in one_line_error(answer)
