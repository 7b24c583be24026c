"""Mono audio encoded as it comes, block by block, into the bytes of one file that is sent while it
is being made (chunked HTTP, server-sent events).

`StreamEncoder(fmt, rate, metadata)`: `encode(block)` returns the bytes ready so far, `finish()`
the rest. mp3, opus (in ogg), aac (ADTS) and flac are made by PyAV's FFmpeg; wav is 16-bit PCM
whose header gives the sizes as unknown (0xFFFFFFFF, as streamed WAV does: players read to the
end), with the text tags in a LIST/INFO chunk; pcm is raw signed 16-bit little-endian at
`PCM_RATE`, resampled with state across blocks.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from openhear.audio.block import AudioBlock
from openhear.audio.files import float_to_pcm16
from openhear.audio.resample import StreamResampler

PCM_RATE = 24000
"""Rate of raw `pcm` output (OpenAI's: 24 kHz signed 16-bit little-endian mono)."""


@dataclass(frozen=True)
class StreamFormat:
    """How one output format is made."""

    media_type: str
    """The HTTP Content-Type of the stream."""
    muxer: str | None = None
    """FFmpeg's container (None: written here, wav and pcm)."""
    codec: str | None = None
    """FFmpeg's encoder."""
    rate: int | None = None
    """Rate the codec needs (None: the voice's own)."""
    options: tuple[tuple[str, str], ...] = ()
    """Muxer options."""


STREAM_FORMATS = {
    "mp3": StreamFormat("audio/mpeg", "mp3", "libmp3lame"),
    # an ogg page is flushed every 100 ms, not once 255 packets (5 s) have filled it
    "opus": StreamFormat("audio/ogg", "ogg", "libopus", 48000, (("page_duration", "100000"),)),
    "aac": StreamFormat("audio/aac", "adts", "aac"),
    "flac": StreamFormat("audio/flac", "flac", "flac"),
    "wav": StreamFormat("audio/wav"),
    "pcm": StreamFormat("audio/pcm", rate=PCM_RATE),
}
"""Every format a stream can be encoded in, by the name the OpenAI API uses."""

WAV_INFO_IDS = {"title": b"INAM", "comment": b"ICMT", "software": b"ISFT", "artist": b"IART"}
"""RIFF INFO chunk ids of the text tags (soundfile's names)."""


class _Drain:
    """A write-only file (no `seek`, so muxers stream) whose bytes are taken as they come."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered here."""

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _wav_header(rate: int, metadata: Mapping[str, str]) -> bytes:
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    info = b""
    for key, value in metadata.items():
        if key in WAV_INFO_IDS:
            text = value.encode("utf-8") + b"\0"
            info += (
                WAV_INFO_IDS[key] + struct.pack("<I", len(text)) + text + b"\0" * (len(text) & 1)
            )
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    if info:
        chunks += b"LIST" + struct.pack("<I", 4 + len(info)) + b"INFO" + info
    return b"RIFF\xff\xff\xff\xffWAVE" + chunks + b"data\xff\xff\xff\xff"


class StreamEncoder:
    """One output stream of mono audio at `rate` in `fmt` (a key of STREAM_FORMATS)."""

    def __init__(self, fmt: str, rate: int, metadata: Mapping[str, str] | None = None):
        self.format = STREAM_FORMATS[fmt]
        """How the stream is made."""
        self._name = fmt
        self._rate = rate
        self._metadata = dict(metadata or {})
        self._started = False
        self._resampler = (
            StreamResampler(rate, PCM_RATE, 1) if fmt == "pcm" and rate != PCM_RATE else None
        )
        self._drain = _Drain()
        self._container: Any = None
        self._stream: Any = None
        self._converter: Any = None

    def _start(self) -> bytes:
        self._started = True
        if self._name == "wav":
            return _wav_header(self._rate, self._metadata)
        if self.format.muxer is None:
            return b""
        import av

        self._container = av.open(
            self._drain, "w", format=self.format.muxer, options=dict(self.format.options)
        )
        self._container.metadata.update(self._metadata)
        out_rate = self.format.rate or self._rate
        self._stream = self._container.add_stream(self.format.codec, rate=out_rate, layout="mono")
        context = self._stream.codec_context
        self._converter = av.AudioResampler(
            format=context.format.name, layout="mono", rate=out_rate, frame_size=context.frame_size
        )
        return b""

    def _mux(self, frames: list) -> None:
        for frame in frames:
            self._container.mux(self._stream.encode(frame))

    def encode(self, block: AudioBlock) -> bytes:
        """The bytes of the stream that `block` (mono, at the encoder's rate) completes."""
        head = b"" if self._started else self._start()
        samples = np.clip(block.samples[:, 0], -1.0, 1.0).astype(np.float32)
        if self._container is None:
            if self._resampler is not None:
                samples = self._resampler.process(AudioBlock.from_mono(samples, self._rate)).samples
            return head + float_to_pcm16(samples)
        import av

        frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
        frame.sample_rate = self._rate
        self._mux(self._converter.resample(frame))
        return head + self._drain.take()

    def finish(self) -> bytes:
        """The end of the stream (what the encoder and resampler still hold, the trailer)."""
        head = b"" if self._started else self._start()
        if self._container is None:
            if self._resampler is None:
                return head
            return head + float_to_pcm16(self._resampler.flush().samples)
        self._mux(self._converter.resample(None))
        self._mux([None])
        self._container.close()
        return head + self._drain.take()
