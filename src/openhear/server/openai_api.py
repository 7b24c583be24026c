"""OpenAI-compatible audio API: transcriptions, speech and the model list, over the app's loaded models.

Tools written for OpenAI's audio endpoints (the `openai` client, Open WebUI, curl scripts) work
against `http://127.0.0.1:8000/v1` unchanged. Transcription is the captioner's whole-file path
(`caption_recording`, cues as in `openhear caption`); speech is the web app's Piper
call. Any `model` and `voice` name is accepted (the server has one of each, listed by /v1/models),
so clients that hard-code `whisper-1`, `tts-1` or `alloy` still work. Errors come as
`{"error": {"message", "type", "param", "code"}}`.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from openhear.asr.whisper import BUNDLED_MODEL_NAME
from openhear.audio import AudioBlock
from openhear.errors import AudioInputError, OpenhearError
from openhear.server.security import error_body
from openhear.server.state import AppState, app_state

router = APIRouter(prefix="/v1")

TRANSCRIPTION_FORMATS = ("json", "text", "srt", "vtt", "verbose_json")
SPEECH_FORMATS = {
    "mp3": ("MP3", "MPEG_LAYER_III", "audio/mpeg"),
    "wav": ("WAV", "PCM_16", "audio/wav"),
    "flac": ("FLAC", "PCM_16", "audio/flac"),
    "pcm": (None, None, "audio/pcm"),
}
"""response_format -> (soundfile format, subtype, media type); pcm is raw samples."""
PCM_RATE = 24000
"""OpenAI's `pcm` is 24 kHz signed 16-bit little-endian mono."""
MAX_INPUT_CHARS = 4096
"""Longest text /v1/audio/speech speaks (OpenAI's limit)."""


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
    async def _api_error(request: Request, exc: ApiError):
        return JSONResponse(
            error_body(str(exc), "invalid_request_error", exc.param, exc.code),
            status_code=exc.status,
        )


@router.get("/models")
def list_models(state: AppState = Depends(app_state)) -> dict:
    """The models this server has loaded (any name is accepted in requests)."""
    ids = ([BUNDLED_MODEL_NAME] if state.services.transcribers else []) + (
        [state.services.voice.name] if state.services.voice is not None else []
    )
    return {
        "object": "list",
        "data": [{"id": i, "object": "model", "created": 0, "owned_by": "openhear"} for i in ids],
    }


async def _form(request: Request):
    try:
        return await request.form()
    except (
        Exception
    ) as exc:  # starlette raises its own MultiPartException / HTTPException for broken bodies
        raise ApiError(f"the request body is not valid multipart form data ({exc})") from None


def _transcribe(state: AppState, upload: UploadFile, prompt: str | None) -> tuple[list, float]:
    """The upload's cues (as `openhear caption` writes them) and its duration in seconds."""
    from openhear.asr.events import FinalCaption
    from openhear.asr.offline import FileCaptionOptions, caption_recording
    from openhear.audio.files import iter_sound_file, open_sound_file
    from openhear.captions.cues import cues_from_finals

    state.services.require("captions", state.services.transcribers or None)
    options = FileCaptionOptions(vocabulary=(prompt,) if prompt else ())
    name = upload.filename or "the upload"
    f = open_sound_file(upload.file, name)
    duration_s = f.frames / f.samplerate
    with state.services.transcriber() as transcriber:
        blocks = iter_sound_file(f, name)
        finals = [
            e
            for e in caption_recording(blocks, transcriber, options)
            if isinstance(e, FinalCaption)
        ]
    return cues_from_finals(finals), duration_s


def _verbose(cues: list, duration_s: float, language: str) -> dict:
    return {
        "task": "transcribe",
        "language": language,
        "duration": round(duration_s, 3),
        "text": " ".join(c.text for c in cues),
        "segments": [
            {"id": i, "start": round(c.start_s, 3), "end": round(c.end_s, 3), "text": c.text}
            for i, c in enumerate(cues)
        ],
        "words": [
            {"word": w.text.strip(), "start": round(w.start_s, 3), "end": round(w.end_s, 3)}
            for c in cues
            for w in c.words
        ],
    }


@router.post("/audio/transcriptions")
async def transcriptions(request: Request, state: AppState = Depends(app_state)) -> Response:
    """Multipart `file` (+ model, response_format, prompt, language) -> its transcript."""
    from openhear.captions.writers import render

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
    language = str(form.get("language") or "") or None
    model_language = (
        state.services.transcribers[0].language if state.services.transcribers else None
    )
    if language and model_language and language.lower() != model_language:
        raise ApiError(
            f"language {language!r} is not supported: this model only hears {model_language!r}",
            "language",
        )
    prompt = str(form.get("prompt") or "").strip() or None
    try:
        cues, duration_s = await asyncio.get_running_loop().run_in_executor(
            state.services.workers, _transcribe, state, upload, prompt
        )
    except AudioInputError as exc:
        raise ApiError(str(exc), "file") from None
    text = " ".join(c.text for c in cues)
    if fmt == "json":
        return JSONResponse({"text": text})
    if fmt == "verbose_json":
        return JSONResponse(_verbose(cues, duration_s, language or model_language or "en"))
    return PlainTextResponse(text + "\n" if fmt == "text" else render(cues, fmt))


class SpeechRequest(BaseModel):
    """OpenAI's speech request; `instructions` and the voice name are accepted and ignored."""

    model: str
    input: str
    voice: str | dict
    response_format: str = "mp3"
    speed: float = 1.0
    instructions: str | None = None


def _encode(block: AudioBlock, fmt: str) -> bytes:
    """The speech in `fmt`: a tagged file for wav/flac, untagged mp3, or raw 24 kHz s16le for pcm."""
    from openhear.audio.files import float_to_pcm16
    from openhear.audio.resample import resample
    from openhear.server.audio_response import encode_audio
    from openhear.tts.speech import SYNTHETIC_SPEECH_METADATA

    if fmt == "pcm":
        return float_to_pcm16(resample(block.samples[:, 0], block.sample_rate, PCM_RATE))
    file_format, subtype, _ = SPEECH_FORMATS[fmt]
    # libsndfile writes no text tags into MPEG streams
    return encode_audio(
        block, file_format, subtype, None if fmt == "mp3" else SYNTHETIC_SPEECH_METADATA
    )


async def _speech_request(request: Request) -> SpeechRequest:
    try:
        body = await request.json()
    except Exception:
        raise ApiError("the request body must be JSON") from None
    try:
        return SpeechRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first.get("loc", ())) or None
        raise ApiError(
            f"{param}: {first.get('msg', 'invalid value')}" if param else "invalid request", param
        ) from None


@router.post("/audio/speech")
async def speech(request: Request, state: AppState = Depends(app_state)) -> Response:
    """JSON (model, input, voice, response_format, speed) -> the input spoken by the Piper voice."""
    from openhear.server.routes_speech import synthesize
    from openhear.tts.speech import SpeechOptions

    req = await _speech_request(request)
    if not req.input.strip():
        raise ApiError("input is empty: give the text to speak", "input")
    if len(req.input) > MAX_INPUT_CHARS:
        raise ApiError(
            f"input is {len(req.input)} characters long (limit {MAX_INPUT_CHARS})", "input"
        )
    if req.response_format not in SPEECH_FORMATS:
        raise ApiError(
            f"response_format {req.response_format!r} is not supported (choose from {', '.join(SPEECH_FORMATS)})",
            "response_format",
        )
    try:
        SpeechOptions(speed=req.speed)
    except OpenhearError as exc:
        raise ApiError(str(exc), "speed") from None
    loop = asyncio.get_running_loop()
    block = await loop.run_in_executor(
        state.services.workers, synthesize, state, req.input, req.speed
    )
    audio = await loop.run_in_executor(state.services.workers, _encode, block, req.response_format)
    return Response(
        audio,
        media_type=SPEECH_FORMATS[req.response_format][2],
        headers={"x-openhear-synthetic": "true"},
    )
