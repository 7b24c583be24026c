"""Audio answers: a block as a 16-bit WAV the browser plays, and speech streamed sentence by
sentence as it is made (generated speech is labelled as such)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator, Mapping
from concurrent.futures import Executor
from typing import TypeVar

from fastapi.responses import Response, StreamingResponse

from openhear.audio import AudioBlock
from openhear.audio.encoders import StreamEncoder
from openhear.audio.outputs import encode_audio

T = TypeVar("T")


def wav_response(
    block: AudioBlock, metadata: Mapping[str, str] | None = None, headers: dict | None = None
) -> Response:
    """`block` as an audio/wav response, with WAV text tags from `metadata`."""
    return Response(
        encode_audio(block, "WAV", "PCM_16", metadata), media_type="audio/wav", headers=headers
    )


_END = object()


async def in_workers(executor: Executor, items: Iterator[T]) -> AsyncIterator[T]:
    """`items` (a blocking iterator: synthesis, decoding) advanced one step at a time in
    `executor`; closed when the consumer stops (a client that left)."""
    loop = asyncio.get_running_loop()
    try:
        while (item := await loop.run_in_executor(executor, next, items, _END)) is not _END:
            yield item  # type: ignore[misc]  # _END is the only other value, and ends the loop
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            await loop.run_in_executor(executor, close)


def _encoded(blocks: Iterator[AudioBlock], encoder: StreamEncoder) -> Iterator[bytes]:
    for block in blocks:
        yield encoder.encode(block)
    yield encoder.finish()


def sse_event(event: Mapping[str, object]) -> bytes:
    """One server-sent event carrying `event` as JSON (the OpenAI streaming shape)."""
    return b"data: " + json.dumps(event).encode() + b"\n\n"


async def _speech_events(pieces: AsyncIterator[bytes], characters: int) -> AsyncIterator[bytes]:
    async for piece in pieces:
        if piece:
            yield sse_event(
                {"type": "speech.audio.delta", "audio": base64.b64encode(piece).decode()}
            )
    # no tokens are billed here; the counts are the input's characters, for clients that sum them
    usage = {"input_tokens": characters, "output_tokens": 0, "total_tokens": characters}
    yield sse_event({"type": "speech.audio.done", "usage": usage})


async def speech_response(
    executor: Executor,
    blocks: Iterator[AudioBlock],
    rate: int,
    fmt: str,
    sse_characters: int | None = None,
) -> Response:
    """Speech streamed as it is made, sentence by sentence: the bytes of a `fmt` file (chunked),
    or with `sse_characters` (the input's length) OpenAI's `speech.audio.delta` events carrying
    them and a `speech.audio.done`. The first sentence is made before the answer starts, so a
    problem with the text is still a 4xx; `blocks` raises those on its first step."""
    from openhear.tts.speech import SYNTHETIC_SPEECH_METADATA

    encoder = StreamEncoder(fmt, rate, SYNTHETIC_SPEECH_METADATA)
    pieces = in_workers(executor, _encoded(blocks, encoder))
    first = await anext(pieces)

    async def audio() -> AsyncIterator[bytes]:
        yield first
        async for piece in pieces:
            yield piece

    headers = {"x-openhear-synthetic": "true"}
    if sse_characters is not None:
        return StreamingResponse(
            _speech_events(audio(), sse_characters), media_type="text/event-stream", headers=headers
        )
    return StreamingResponse(audio(), media_type=encoder.format.media_type, headers=headers)
