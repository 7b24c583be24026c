"""Audio answers: a block as a 16-bit WAV the browser plays (generated speech
is labelled as such)."""

from __future__ import annotations

import io
from collections.abc import Mapping

import numpy as np
import soundfile as sf
from fastapi.responses import Response

from openhear.audio import AudioBlock


def encode_audio(
    block: AudioBlock, file_format: str, subtype: str, metadata: Mapping[str, str] | None = None
) -> bytes:
    """`block` as a file in memory (soundfile's `file_format` and `subtype`), with text
    tags from `metadata`."""
    buffer = io.BytesIO()
    with sf.SoundFile(
        buffer, "w", block.sample_rate, block.channels, format=file_format, subtype=subtype
    ) as f:
        for key, value in (metadata or {}).items():
            setattr(f, key, value)
        f.write(np.clip(block.samples, -1.0, 1.0))
    return buffer.getvalue()


def wav_response(
    block: AudioBlock, metadata: Mapping[str, str] | None = None, headers: dict | None = None
) -> Response:
    """`block` as an audio/wav response, with WAV text tags from `metadata`."""
    return Response(
        encode_audio(block, "WAV", "PCM_16", metadata), media_type="audio/wav", headers=headers
    )
