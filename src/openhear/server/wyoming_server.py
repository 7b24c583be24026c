"""Wyoming server: speech-to-text and text-to-speech for Home Assistant over the loaded models.

One connection is one handler (rhasspy/wyoming-faster-whisper's shape):
- `describe` -> `info` naming what this server offers (ASR, TTS or both);
- `transcribe` (optional; its names and terms bias recognition), `audio-start`, `audio-chunk`...,
  `audio-stop` -> `transcript`. Chunks are fed to the file captioner as they arrive (any rate
  and channel count: it resamples once with soxr), which decodes whole windows of speech;
- `synthesize` -> `audio-start`, `audio-chunk`..., `audio-stop` (16-bit mono at the voice's rate,
  sent sentence by sentence as Piper speaks them);
- `ping` -> `pong`.
Any other event, or one that cannot be served (audio before audio-start, empty text, malformed
data), is answered with an `error` event and the connection stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import AsrModel, AsrProgram, Attribution, Describe, Info, TtsProgram, TtsVoice
from wyoming.ping import Ping, Pong
from wyoming.server import AsyncEventHandler, AsyncServer, HandlerFactory
from wyoming.tts import Synthesize

from openhear import __version__
from openhear.asr.whisper import BUNDLED_MODEL_NAME
from openhear.errors import OpenhearError, UsageError
from openhear.server.services import Services

log = logging.getLogger("openhear.wyoming")

SPEECH_CHUNK_FRAMES = 1024
"""Samples per audio-chunk event of synthesised speech (as wyoming-piper sends them)."""
_OPENHEAR = Attribution(name="openhear", url="")
"""openhear has no public address to give; the models name their sources."""


def describe(services: Services, asr: bool, tts: bool) -> Info:
    """What this server offers, as Home Assistant reads it from `info`."""
    info = Info()
    if asr:
        model = AsrModel(
            name=BUNDLED_MODEL_NAME,
            attribution=Attribution(name="OpenAI Whisper", url="https://github.com/openai/whisper"),
            installed=True,
            description="Whisper tiny.en (faster-whisper, int8 CPU)",
            version=None,
            languages=["en"],
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
        name = services.voice.name
        voice = TtsVoice(
            name=name,
            attribution=Attribution(name="Piper", url="https://github.com/rhasspy/piper"),
            installed=True,
            description=f"Piper {name}",
            version=None,
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
            )
        ]
    return info


class WyomingError(OpenhearError):
    """An event this connection cannot serve; sent back as an `error` event with `code`."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class OpenhearEventHandler(AsyncEventHandler):
    """One client connection: answers the events in the module docstring."""

    def __init__(self, services: Services, asr: bool, tts: bool, reader, writer):
        super().__init__(reader, writer)
        self.services = services
        self.asr = asr
        self.tts = tts
        self._info = describe(services, asr, tts).event()
        self._vocabulary: tuple[str, ...] = ()
        self._captioner = None
        self._finals: list = []
        self._lease = contextlib.ExitStack()
        self._width = AudioChunkConverter(width=2)

    async def handle_event(self, event: Event) -> bool:
        try:
            await self._dispatch(event)
        except WyomingError as exc:
            await self.write_event(Error(text=str(exc), code=exc.code).event())
        except OpenhearError as exc:
            await self.write_event(Error(text=str(exc), code="bad-request").event())
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # malformed event data
            message = f"malformed {event.type} event ({type(exc).__name__}: {exc})"
            await self.write_event(Error(text=message, code="bad-event").event())
        return True

    async def _dispatch(self, event: Event) -> None:
        if Describe.is_type(event.type):
            await self.write_event(self._info)
        elif Ping.is_type(event.type):
            await self.write_event(Pong(text=Ping.from_event(event).text).event())
        elif Transcribe.is_type(event.type):
            self._transcribe(Transcribe.from_event(event))
        elif AudioStart.is_type(event.type):
            self._start_audio()
        elif AudioChunk.is_type(event.type):
            await self._audio(AudioChunk.from_event(event))
        elif AudioStop.is_type(event.type):
            await self._stop_audio()
        elif Synthesize.is_type(event.type):
            await self._synthesize(Synthesize.from_event(event))
        else:
            raise WyomingError(f"unsupported event type {event.type!r}", "unsupported-event")

    def _require(self, served: bool, what: str) -> None:
        if not served:
            raise WyomingError(f"this server does not offer {what}", "not-served")

    def _transcribe(self, request: Transcribe) -> None:
        self._require(self.asr, "speech-to-text")
        if request.language and not request.language.lower().startswith("en"):
            raise WyomingError(
                f"language {request.language!r} is not supported (English only)",
                "unsupported-language",
            )
        self._vocabulary = tuple(
            (request.transcript_names or []) + (request.transcript_terms or [])
        )

    def _start_audio(self) -> None:
        from openhear.asr.offline import FileCaptioner, FileCaptionOptions

        self._require(self.asr, "speech-to-text")
        self._end_stream()
        transcriber = self._lease.enter_context(self.services.transcriber())
        self._captioner = FileCaptioner(
            transcriber, FileCaptionOptions(vocabulary=self._vocabulary)
        )

    async def _audio(self, chunk: AudioChunk) -> None:
        from openhear.audio.files import pcm_s16le_block

        if self._captioner is None:
            raise WyomingError("audio-chunk before audio-start", "no-audio-start")
        if (
            chunk.width not in (1, 2, 3, 4)
            or not 1 <= chunk.channels <= 32
            or not 1000 <= chunk.rate <= 384000
        ):
            raise WyomingError(
                f"unusable audio format (rate {chunk.rate}, width {chunk.width}, channels {chunk.channels})",
                "bad-audio-format",
            )
        chunk = self._width.convert(chunk)
        whole_frames = len(chunk.audio) - len(chunk.audio) % (2 * chunk.channels)
        block = pcm_s16le_block(chunk.audio[:whole_frames], chunk.rate, chunk.channels)
        events = await self._run(lambda: list(self._captioner.feed(block)))
        self._finals += events

    async def _stop_audio(self) -> None:
        from openhear.asr.streaming import final_text

        if self._captioner is None:
            raise WyomingError("audio-stop before audio-start", "no-audio-start")
        events = self._finals + await self._run(lambda: list(self._captioner.flush()))
        self._end_stream()
        self._vocabulary = ()
        await self.write_event(Transcript(text=final_text(events), language="en").event())

    def _end_stream(self) -> None:
        self._captioner = None
        self._finals = []
        self._lease.close()

    async def _synthesize(self, request: Synthesize) -> None:
        from openhear.audio.files import float_to_pcm16

        self._require(self.tts, "text-to-speech")
        if not request.text.strip():
            raise WyomingError("nothing to say: the text is empty", "empty-text")
        voice = self.services.voice
        sentences = voice.synthesize(request.text)
        rate = voice.sample_rate
        await self.write_event(AudioStart(rate=rate, width=2, channels=1).event())
        while (
            block := await self._run(lambda: next(sentences, None))
        ) is not None:  # each sentence as soon as it is spoken
            pcm = float_to_pcm16(block.samples[:, 0])
            step = 2 * SPEECH_CHUNK_FRAMES
            for i in range(0, len(pcm), step):
                await self.write_event(
                    AudioChunk(rate=rate, width=2, channels=1, audio=pcm[i : i + step]).event()
                )
        await self.write_event(AudioStop().event())

    async def _run(self, work):
        return await asyncio.get_running_loop().run_in_executor(self.services.workers, work)

    async def disconnect(self) -> None:
        self._end_stream()


def handler_factory(services: Services, asr: bool = True, tts: bool = True) -> HandlerFactory:
    """Makes one handler per connection over the shared, already-loaded services."""
    return partial(OpenhearEventHandler, services, asr, tts)


def server_for(uri: str) -> AsyncServer:
    """The Wyoming server for `uri` (tcp://HOST:PORT, unix://PATH or stdio://); a bad URI is a UsageError."""
    try:
        return AsyncServer.from_uri(uri)
    except ValueError as exc:
        raise UsageError(f"bad --uri {uri!r}: {exc}") from None
