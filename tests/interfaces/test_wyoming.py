"""The Wyoming server, driven by the wyoming package's own client over a loopback TCP port."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.server import AsyncTcpServer
from wyoming.tts import Synthesize

from openhear.asr.wer import wer
from openhear.audio.files import float_to_pcm16
from openhear.cli import main
from openhear.server.wyoming_server import handler_factory

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def talk(services, script, asr=True, tts=True):
    """Starts a server on a free loopback port, runs `script(client)` against it, stops it."""

    async def go():
        port = _free_port()
        server = AsyncTcpServer("127.0.0.1", port)
        await server.start(handler_factory(services, asr, tts))
        try:
            async with AsyncTcpClient("127.0.0.1", port) as client:
                return await asyncio.wait_for(script(client), timeout=30)
        finally:
            await server.stop()

    return asyncio.run(go())


async def _until(client, *types) -> list[Event]:
    """Events up to and including the first whose type is in `types`."""
    events = []
    while True:
        event = await client.read_event()
        assert event is not None, "the server closed the connection"
        events.append(event)
        if event.type in types:
            return events


async def _send_audio(client, samples: np.ndarray, rate: int, chunk_frames: int = 1024) -> None:
    await client.write_event(AudioStart(rate=rate, width=2, channels=1).event())
    pcm = float_to_pcm16(samples)
    for i in range(0, len(pcm), 2 * chunk_frames):
        await client.write_event(
            AudioChunk(rate=rate, width=2, channels=1, audio=pcm[i : i + 2 * chunk_frames]).event()
        )
    await client.write_event(AudioStop().event())


def test_describe_names_both_programs(services):
    async def script(client):
        await client.write_event(Describe().event())
        return Info.from_event((await _until(client, "info"))[-1])

    info = talk(services, script)
    assert (
        info.asr[0].models[0].languages == ["en"]
        and info.tts[0].voices[0].name == "en_US-joe-medium"
    )
    only_tts = talk(services, script, asr=False)
    assert not only_tts.asr and only_tts.tts


def test_real_speech_in_transcript_out(services, long_speech, transcribed):
    short = next(u for u in transcribed if u.id == "cmu_arctic_aew_a0003")

    async def script(client):
        texts = []
        for utterance in (long_speech, short):  # two requests on one connection
            samples, rate = sf.read(utterance.path, dtype="float32")
            await client.write_event(Transcribe(language="en").event())
            await _send_audio(client, samples, rate)
            texts.append(Transcript.from_event((await _until(client, "transcript"))[-1]).text)
        return texts

    long_text, short_text = talk(services, script)
    assert wer(long_speech.text, long_text) <= 0.15
    assert wer(short.text, short_text) <= 0.15


def test_text_in_speech_out(services):
    async def script(client):
        await client.write_event(
            Synthesize(text="The kettle is boiling. Come and get your tea.").event()
        )
        return await _until(client, "audio-stop")

    events = talk(services, script)
    start = AudioStart.from_event(events[0])
    chunks = [AudioChunk.from_event(e) for e in events if AudioChunk.is_type(e.type)]
    assert (start.rate, start.width, start.channels) == (22050, 2, 1)
    samples = np.frombuffer(b"".join(c.audio for c in chunks), "<i2").astype(np.float32) / 32768
    assert 1.5 < samples.size / start.rate < 8.0
    assert np.sqrt(np.mean(samples**2)) > 0.02


def test_bad_events_get_error_events_and_the_connection_lives_on(services):
    bad = [
        AudioChunk(rate=16000, width=2, channels=1, audio=b"\0\0" * 160).event(),  # no audio-start
        AudioStop().event(),
        Synthesize(text="   ").event(),
        Event(type="audio-chunk", data={"width": 2}),  # malformed: no rate or channels
        Event(type="made-up-event"),
        Transcribe(language="de").event(),
    ]

    async def script(client):
        errors = []
        for event in bad:
            await client.write_event(event)
            errors.append(Error.from_event((await _until(client, "error"))[-1]))
        await client.write_event(AudioStart(rate=16000, width=7, channels=1).event())
        await client.write_event(
            AudioChunk(rate=16000, width=7, channels=1, audio=b"\0" * 70).event()
        )
        errors.append(Error.from_event((await _until(client, "error"))[-1]))
        await client.write_event(Describe().event())
        await _until(client, "info")
        return errors

    codes = [e.code for e in talk(services, script)]
    assert codes == [
        "no-audio-start",
        "no-audio-start",
        "empty-text",
        "bad-event",
        "unsupported-event",
        "unsupported-language",
        "bad-audio-format",
    ]

    async def asr_on_tts_server(client):
        await client.write_event(AudioStart(rate=16000, width=2, channels=1).event())
        return Error.from_event((await _until(client, "error"))[-1])

    assert talk(services, asr_on_tts_server, asr=False).code == "not-served"


def test_command_refuses_a_bad_uri(capsys):
    assert main(["wyoming", "--uri", "http://127.0.0.1:10300"]) == 2
    assert "bad --uri" in capsys.readouterr().err


def test_command_serves_until_ctrl_c(tmp_path):
    """The real `openhear wyoming` process: it listens, answers, and Ctrl+C stops it cleanly."""
    port = _free_port()
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "openhear"),
            "wyoming",
            "--only",
            "tts",
            "--uri",
            f"tcp://127.0.0.1:{port}",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "text-to-speech at" in proc.stderr.readline()

        async def describe():
            for _ in range(100):  # the port opens just after the message
                try:
                    async with AsyncTcpClient("127.0.0.1", port) as client:
                        await client.write_event(Describe().event())
                        return Info.from_event(await client.read_event())
                except ConnectionRefusedError:
                    await asyncio.sleep(0.05)

        info = asyncio.run(describe())
        assert info.tts and not info.asr
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
