"""OpenAI-compatible audio API: transcriptions, translations, speech and the models, over the
app's loaded models.

Tools written for OpenAI's audio endpoints (the `openai` client, Open WebUI, curl scripts) work
against `http://127.0.0.1:8000/v1` unchanged. Transcription is the whole-file captioner
(`caption_recording`: whole windows of speech, cues as in `openhear caption`) over any file a
browser or phone records (`audio.files`: wav, flac, mp3, ogg, webm, m4a/mp4, aac); with
`stream=true` its text comes as `transcript.text.delta` events while the file is decoded, then
`transcript.text.done`. Speech is the web app's Piper voice, streamed sentence by sentence in mp3,
opus, aac, flac, wav or pcm, or as `speech.audio.delta` events with `stream_format="sse"`. Any
`model` and `voice` name is accepted (the server has one of each, listed by /v1/models), so
clients that hard-code `whisper-1`, `tts-1` or `alloy` still work. Errors come as
`{"error": {"message", "type", "param", "code"}}`, with OpenAI's codes where it has one.
"""

from __future__ import annotations

import asyncio
import math
import re
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from openhear.asr.events import FinalCaption, Word, words_language
from openhear.audio.encoders import STREAM_FORMATS
from openhear.captions.cues import Cue
from openhear.errors import AudioInputError, OpenhearError, UsageError
from openhear.server.audio_response import in_workers, speech_response, sse_event
from openhear.server.limits import RequestModel, validation_problem
from openhear.server.security import error_body
from openhear.server.state import AppState, app_state

if TYPE_CHECKING:
    from openhear.asr.whisper import WhisperTranscriber

router = APIRouter(prefix="/v1")

TRANSCRIPTION_FORMATS = ("json", "text", "srt", "vtt", "verbose_json")
TIMESTAMP_GRANULARITIES = ("word", "segment")
"""What `timestamp_granularities[]` may ask for in verbose_json (OpenAI's default: segment)."""
SPEECH_FORMATS = tuple(STREAM_FORMATS)
"""response_format of /v1/audio/speech: mp3, opus (ogg), aac (adts), flac, wav, pcm (24 kHz)."""
SPEECH_STREAM_FORMATS = ("audio", "sse")
"""stream_format of /v1/audio/speech: the file's bytes (chunked), or server-sent events."""
MAX_INPUT_CHARS = 4096
"""Longest text /v1/audio/speech speaks (OpenAI's limit)."""
SEGMENT_DEFAULTS = {"no_speech_prob": 0.0, "temperature": 0.0, "tokens": []}
"""verbose_json segment fields the captioner does not keep, with the values they stand for: the
voice activity detector already dropped what is not speech, decoding starts greedy (0.0), and
Whisper's token ids are not exposed."""


class ApiError(Exception):
    """A request the OpenAI-compatible API refuses, naming the parameter at fault."""

    def __init__(
        self, message: str, param: str | None = None, status: int = 400, code: str | None = None
    ):
        super().__init__(message)
        self.param = param
        self.status = status
        self.code = code


def install(app: FastAPI) -> None:
    """Mounts the /v1 routes and their error handler on the app."""
    app.include_router(router)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(str(exc), "invalid_request_error", exc.param, exc.code),
            status_code=exc.status,
        )


def _model_ids(state: AppState) -> list[str]:
    transcribers = state.services.transcribers
    return ([transcribers[0].name] if transcribers else []) + (
        [state.services.voice.name] if state.services.voice is not None else []
    )


def _model(model_id: str) -> dict:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "openhear"}


@router.get("/models")
def list_models(state: AppState = Depends(app_state)) -> dict:
    """The models this server has loaded (any name is accepted in requests)."""
    return {"object": "list", "data": [_model(i) for i in _model_ids(state)]}


@router.get("/models/{model_id:path}")
def get_model(model_id: str, state: AppState = Depends(app_state)) -> dict:
    """One loaded model by its id (404 `model_not_found` for any other)."""
    if model_id not in _model_ids(state):
        raise ApiError(
            f"the model {model_id!r} does not exist on this server (it has: "
            f"{', '.join(_model_ids(state)) or 'none'})",
            "model",
            404,
            "model_not_found",
        )
    return _model(model_id)


async def _form(request: Request) -> FormData:
    try:
        return await request.form()
    except (
        Exception
    ) as exc:  # starlette raises its own MultiPartException / HTTPException for broken bodies
        raise ApiError(f"the request body is not valid multipart form data ({exc})") from None


@dataclass(frozen=True)
class TranscriptionRequest:
    """A transcription or translation form, checked."""

    upload: UploadFile
    """The audio file."""
    response_format: str
    """One of TRANSCRIPTION_FORMATS."""
    language: str | None
    """The language of the speech, as the model names it ("en"); None: identified by the
    multilingual model."""
    prompt: str | None
    """Words to expect (names, jargon), or None."""
    granularities: frozenset[str]
    """Which timings verbose_json carries: "word", "segment" (OpenAI's default: segment)."""
    logprobs: bool
    """`include[]=logprobs`: word log probabilities in json and streamed answers."""
    stream: bool
    """Answer with server-sent events while the file is transcribed."""
    task: str = "transcribe"
    """"transcribe", or "translate" (to English)."""


def _form_bool(form: FormData, key: str) -> bool:
    value = str(form.get(key) or "false").strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise ApiError(f"{key} must be true or false, not {value!r}", key)
    return value in ("true", "1")


def _language(requested: str | None, transcriber: WhisperTranscriber, task: str) -> str | None:
    """The model's language for a requested tag: "en", "en-US", "en_GB" and "English" are all
    English (as Wyoming's are). A multilingual model takes the tag's primary subtag, and without
    one keeps the server's --language (None: identified in the audio)."""
    primary = re.split(r"[-_]", (requested or "").strip(), maxsplit=1)[0].lower()
    model_language = transcriber.language
    if transcriber.multilingual:
        if not primary:
            return model_language
        try:
            return transcriber.language_code(primary)
        except UsageError as exc:
            raise ApiError(str(exc), "language") from None
    if not primary or primary in (model_language, "english"):
        return model_language
    if task == "translate":
        raise ApiError(
            f"translating {requested!r} speech needs a multilingual Whisper model (start the "
            f"server with --model base): the one loaded only hears {model_language!r} (whose "
            "translation to English is its transcription)",
            "language",
        )
    raise ApiError(
        f"language {requested!r} is not supported: this model only hears {model_language!r} "
        "(start the server with --model base for other languages)",
        "language",
    )


async def _transcription_request(
    request: Request, state: AppState, task: str
) -> TranscriptionRequest:
    form = await _form(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ApiError("a `file` field with the audio to transcribe is required", "file")
    fmt = str(form.get("response_format") or "json")
    if fmt not in TRANSCRIPTION_FORMATS:
        choices = ", ".join(TRANSCRIPTION_FORMATS)
        raise ApiError(
            f"response_format {fmt!r} is not supported (choose from {choices})", "response_format"
        )
    state.services.require("captions", state.services.transcribers or None)
    language = _language(
        str(form.get("language") or "") or None, state.services.transcribers[0], task
    )
    temperature = str(form.get("temperature") or "0")
    try:
        refused = float(temperature) != 0.0
    except ValueError:
        raise ApiError(
            f"temperature must be a number, not {temperature!r}", "temperature"
        ) from None
    if refused:
        raise ApiError(
            f"temperature {temperature} is not supported: decoding is greedy (0), with Whisper's "
            "own retries at higher temperatures when the text loops",
            "temperature",
        )
    granularities = [str(g) for g in form.getlist("timestamp_granularities[]")]
    granularities += [str(g) for g in form.getlist("timestamp_granularities")]
    for g in granularities:
        if g not in TIMESTAMP_GRANULARITIES:
            raise ApiError(
                f"timestamp_granularities {g!r} is not supported (choose from word, segment)",
                "timestamp_granularities",
            )
    if granularities and fmt != "verbose_json":
        raise ApiError(
            "timestamp_granularities needs response_format verbose_json", "timestamp_granularities"
        )
    include = [str(i) for i in form.getlist("include[]") + form.getlist("include")]
    for item in include:
        if item != "logprobs":
            raise ApiError(f"include {item!r} is not supported (only logprobs)", "include")
    stream = _form_bool(form, "stream")
    if stream and fmt not in ("json", "text"):
        raise ApiError(
            f"stream needs response_format json or text, not {fmt}", "stream", code="invalid_value"
        )
    return TranscriptionRequest(
        upload=upload,
        response_format=fmt,
        language=language,
        prompt=str(form.get("prompt") or "").strip() or None,
        granularities=frozenset(granularities or ["segment"]),
        logprobs=bool(include),
        stream=stream,
        task=task,
    )


def _finals(
    state: AppState, req: TranscriptionRequest, duration: list[float]
) -> Iterator[FinalCaption]:
    """The upload's final captions as the captioner commits them; `duration` receives its length
    in seconds before the first."""
    from openhear.asr.offline import FileCaptionOptions, caption_recording
    from openhear.audio.files import iter_sound_file, open_sound_file

    options = FileCaptionOptions(vocabulary=(req.prompt,) if req.prompt else ())
    name = req.upload.filename or "the upload"
    f = open_sound_file(req.upload.file, name)
    duration.append(f.frames / f.samplerate)
    with state.services.transcriber() as transcriber:
        if transcriber.multilingual:  # an English-only model's translation is its transcription
            transcriber = transcriber.configured(req.language, req.task)
        blocks = iter_sound_file(f, name)
        for e in caption_recording(blocks, transcriber, options):
            if isinstance(e, FinalCaption):
                yield e


def _transcribe(state: AppState, req: TranscriptionRequest) -> tuple[list[Cue], float]:
    """The upload's cues (as `openhear caption` writes them) and its duration in seconds."""
    from openhear.captions.cues import cues_from_finals

    duration: list[float] = []
    finals = list(_finals(state, req, duration))
    return cues_from_finals(finals), duration[0]


def _logprobs(words: tuple[Word, ...] | list[Word]) -> list[dict]:
    """OpenAI's logprobs entries, one per Whisper word (its probability, as a natural log)."""
    return [
        {
            "token": w.text,
            "logprob": round(math.log(max(w.probability, 1e-12)), 6),
            "bytes": list(w.text.encode()),
        }
        for w in words
    ]


def _segment(i: int, cue: Cue) -> dict:
    """One verbose_json segment: the cue's text and times, Whisper's statistics where the
    captioner keeps them (average word log probability, the text's compression ratio as Whisper
    computes it), SEGMENT_DEFAULTS for the rest."""
    raw = cue.text.encode()
    logprobs = [math.log(max(w.probability, 1e-12)) for w in cue.words]
    return {
        "id": i,
        "seek": round(cue.start_s * 100),  # Whisper's seek: 10 ms mel frames
        "start": round(cue.start_s, 3),
        "end": round(cue.end_s, 3),
        "text": cue.text,
        "avg_logprob": round(sum(logprobs) / len(logprobs), 6) if logprobs else 0.0,
        "compression_ratio": round(len(raw) / len(zlib.compress(raw)), 6) if raw else 0.0,
        **SEGMENT_DEFAULTS,
    }


def _language_name(code: str) -> str:
    """The language as OpenAI's verbose_json names it: "english" for English, else the code."""
    return "english" if code == "en" else code


def _verbose(cues: list[Cue], duration_s: float, req: TranscriptionRequest, task: str) -> dict:
    doc: dict = {
        "task": task,
        "language": _language_name(
            words_language(w for c in cues for w in c.words) or req.language or "en"
        ),
        "duration": round(duration_s, 3),
        "text": " ".join(c.text for c in cues),
    }
    if "segment" in req.granularities:
        doc["segments"] = [_segment(i, c) for i, c in enumerate(cues)]
    if "word" in req.granularities:
        doc["words"] = [
            {"word": w.text.strip(), "start": round(w.start_s, 3), "end": round(w.end_s, 3)}
            for c in cues
            for w in c.words
        ]
    return doc


async def _text_events(
    state: AppState, req: TranscriptionRequest, first: FinalCaption | None, finals: AsyncIterator
) -> AsyncIterator[bytes]:
    """`transcript.text.delta` per final caption as it is committed, then
    `transcript.text.done`."""
    texts: list[str] = []
    words: list[Word] = []

    async def all_finals() -> AsyncIterator[FinalCaption]:
        if first is not None:
            yield first
        async for final in finals:
            yield final

    try:
        async for final in all_finals():
            event: dict = {
                "type": "transcript.text.delta",
                "delta": (" " if texts else "") + final.text,
            }
            if req.logprobs:
                event["logprobs"] = _logprobs(final.words)
            texts.append(final.text)
            words.extend(final.words)
            yield sse_event(event)
    except AudioInputError as exc:  # damage found after the answer started: the SDK raises it
        yield sse_event(error_body(str(exc), "invalid_request_error", "file"))
        return
    done: dict = {"type": "transcript.text.done", "text": " ".join(texts)}
    if req.logprobs:
        done["logprobs"] = _logprobs(words)
    yield sse_event(done)


async def _answer(request: Request, state: AppState, task: str) -> Response:
    from openhear.captions.writers import render

    req = await _transcription_request(request, state, task)
    workers = state.services.workers
    if req.stream:
        finals = in_workers(workers, _finals(state, req, []))
        try:  # the file is opened (and refused) before the answer starts
            first = await anext(finals, None)
        except AudioInputError as exc:
            raise ApiError(str(exc), "file") from None
        return StreamingResponse(
            _text_events(state, req, first, finals), media_type="text/event-stream"
        )
    try:
        cues, duration_s = await asyncio.get_running_loop().run_in_executor(
            workers, _transcribe, state, req
        )
    except AudioInputError as exc:
        raise ApiError(str(exc), "file") from None
    text = " ".join(c.text for c in cues)
    if req.response_format == "json":
        body: dict = {"text": text}
        if req.logprobs:
            body["logprobs"] = _logprobs([w for c in cues for w in c.words])
        return JSONResponse(body)
    if req.response_format == "verbose_json":
        return JSONResponse(_verbose(cues, duration_s, req, task))
    return PlainTextResponse(
        text + "\n" if req.response_format == "text" else render(cues, req.response_format)
    )


@router.post("/audio/transcriptions")
async def transcriptions(request: Request, state: AppState = Depends(app_state)) -> Response:
    """Multipart `file` (+ model, response_format, prompt, language, stream,
    timestamp_granularities[], include[], temperature) -> its transcript."""
    return await _answer(request, state, "transcribe")


@router.post("/audio/translations")
async def translations(request: Request, state: AppState = Depends(app_state)) -> Response:
    """Speech -> English text. With the English-only bundled model, English speech's translation
    is its transcription; any other language is a 400 that says a multilingual model is
    needed."""
    return await _answer(request, state, "translate")


class SpeechRequest(RequestModel):
    """OpenAI's speech request; `instructions` and the voice name are accepted and ignored."""

    model: str
    input: str
    voice: str | dict
    response_format: str = "mp3"
    speed: float = 1.0
    instructions: str | None = None
    stream_format: str = "audio"


async def _speech_request(request: Request) -> SpeechRequest:
    try:
        body = await request.json()
    except Exception:
        raise ApiError("the request body must be JSON") from None
    try:
        return SpeechRequest.model_validate(body)
    except ValidationError as exc:
        where, what = validation_problem(exc)
        raise ApiError(f"{where}: {what}" if where else "invalid request", where or None) from None


@router.post("/audio/speech")
async def speech(request: Request, state: AppState = Depends(app_state)) -> Response:
    """JSON (model, input, voice, response_format, speed, stream_format) -> the input spoken by
    the Piper voice, streamed sentence by sentence (chunked bytes, or SSE events)."""
    from openhear.server.speaking import speech_blocks
    from openhear.tts.speech import SpeechOptions
    from openhear.tts.text import TextError

    req = await _speech_request(request)
    if not req.input.strip():
        raise ApiError("input is empty: give the text to speak", "input")
    if len(req.input) > MAX_INPUT_CHARS:
        raise ApiError(
            f"input is {len(req.input)} characters long (limit {MAX_INPUT_CHARS})", "input"
        )
    if req.response_format not in SPEECH_FORMATS:
        raise ApiError(
            f"response_format {req.response_format!r} is not supported (choose from "
            f"{', '.join(SPEECH_FORMATS)})",
            "response_format",
        )
    if req.stream_format not in SPEECH_STREAM_FORMATS:
        raise ApiError(
            f"stream_format {req.stream_format!r} is not supported (choose from audio, sse)",
            "stream_format",
        )
    try:
        SpeechOptions(speed=req.speed)
    except OpenhearError as exc:
        raise ApiError(str(exc), "speed") from None
    voice = state.services.require("speech", state.services.voice)
    blocks = speech_blocks(state, req.input, req.speed)
    try:
        return await speech_response(
            state.services.workers,
            blocks,
            voice.sample_rate,
            req.response_format,
            len(req.input) if req.stream_format == "sse" else None,
        )
    except TextError as exc:  # only punctuation, say: nothing to speak
        raise ApiError(str(exc), "input") from None
