"""Audio in containers libsndfile cannot open (webm, mp4/m4a, adts aac, ...) decoded by PyAV's
FFmpeg, behind the subset of `soundfile.SoundFile` that `audio.files` reads through.

Browsers record webm/opus or ogg/opus (MediaRecorder), phones m4a/aac; soundfile reads wav, flac,
ogg and mp3 itself and is tried first (`audio.files.open_sound_file`). A `ContainerFile` decodes
one packet at a time and hands out float32 blocks of the file's own rate and channels, so an hour
needs bounded memory; damage met while decoding is a `RuntimeError` with a short reason, which
`audio.files` turns into the same one-line "damaged after N s" error as for libsndfile's files.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any, BinaryIO

import av
import numpy as np

from openhear.errors import exception_line

DECODE_ERRORS: tuple[type[BaseException], ...] = (av.FFmpegError, ValueError, IndexError)
"""What PyAV raises for input that is not (or no longer) decodable audio."""


class ContainerError(Exception):
    """The source is not audio PyAV can decode; the message is the short reason."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, av.FFmpegError) and exc.strerror:
        return str(exc.strerror).strip()
    return exception_line(exc, last=True)


class ContainerFile:
    """One audio stream of a container, read like a `soundfile.SoundFile` (`samplerate`,
    `channels`, `frames`, `blocks`, `close`, a context manager)."""

    def __init__(self, source: str | BinaryIO):
        self._source = source
        try:
            self._container: Any = self._open()
            stream = self._container.streams.audio[0]
        except DECODE_ERRORS as exc:
            self.close()
            raise ContainerError(_reason(exc) or "no audio stream") from None
        self.samplerate = int(stream.rate or stream.codec_context.sample_rate)
        """Frames per second of the decoded audio (the stream's own rate)."""
        self.channels = int(stream.codec_context.channels or 1)
        """Channels of the decoded audio."""
        self.frames = self._frames(stream)
        """Length in frames: from the container's duration, else counted by decoding once."""

    def _open(self) -> Any:
        if not isinstance(self._source, str):
            self._source.seek(0)
        return av.open(self._source, "r")

    def _frames(self, stream: Any) -> int:
        if stream.duration is not None and stream.time_base is not None:
            return round(float(stream.duration * stream.time_base) * self.samplerate)
        if self._container.duration:  # microseconds (AV_TIME_BASE)
            return round(self._container.duration / 1_000_000 * self.samplerate)
        try:  # webm from MediaRecorder says no duration: count what decodes
            counted = sum(len(chunk) for chunk in self._decoded())
        except DECODE_ERRORS as exc:
            self.close()
            raise ContainerError(_reason(exc)) from None
        self._container.close()
        self._container = self._open()
        return counted

    def _decoded(self) -> Iterator[np.ndarray]:
        """The stream as (frames, channels) float32 arrays, one per decoded frame."""
        stream = self._container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout=stream.layout, rate=self.samplerate)
        for frame in self._container.decode(stream):
            for out in resampler.resample(frame):
                yield out.to_ndarray().reshape(-1, self.channels)
        for out in resampler.resample(None):
            yield out.to_ndarray().reshape(-1, self.channels)

    def blocks(
        self, blocksize: int, dtype: str = "float32", always_2d: bool = True
    ) -> Iterator[np.ndarray]:
        """Consecutive (blocksize, channels) float32 blocks (the last one shorter); a decoding
        failure is a RuntimeError with the short reason."""
        pending: list[np.ndarray] = []
        held = 0
        try:
            for chunk in self._decoded():
                pending.append(chunk)
                held += len(chunk)
                while held >= blocksize:
                    joined = np.concatenate(pending)
                    yield joined[:blocksize]
                    pending, held = [joined[blocksize:]], held - blocksize
        except DECODE_ERRORS as exc:
            raise RuntimeError(_reason(exc)) from None
        if held:
            yield np.concatenate(pending)

    def close(self) -> None:
        """Releases the demuxer (the source itself belongs to the caller)."""
        container = getattr(self, "_container", None)
        if container is not None:
            container.close()
            self._container = None

    def __enter__(self) -> ContainerFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
