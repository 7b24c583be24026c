"""Where audio goes, block by block: an audio file, raw PCM on a binary stream, the sound card.

Each sink takes blocks as they are made, so long audio is written or played while the rest is
still being produced and is never held whole in memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO, Protocol

from openhear.audio.block import AudioBlock
from openhear.audio.devices import open_stream, require_device, start_stream
from openhear.audio.files import float_to_pcm16
from openhear.audio.outputs import open_audio_output


class Sink(Protocol):
    """Takes blocks in order; `close` finishes (flushes, drains the sound card)."""

    def write(self, block: AudioBlock) -> None: ...

    def close(self) -> None: ...


class FileSink:
    """An audio file (format from the suffix: .wav and .flac 16-bit, .ogg Vorbis,
    .mp3) with optional tags."""

    def __init__(
        self,
        path: str | Path,
        sample_rate: int,
        tags: Mapping[str, str] | None = None,
        channels: int = 1,
    ):
        self.path = Path(path)
        self._file = open_audio_output(self.path, sample_rate, channels, tags)

    def write(self, block: AudioBlock) -> None:
        self._file.write(block.samples.clip(-1.0, 1.0))

    def close(self) -> None:
        self._file.close()


class RawSink:
    """Signed 16-bit little-endian mono PCM at the blocks' rate, written to a
    binary stream (stdout)."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream

    def write(self, block: AudioBlock) -> None:
        self._stream.write(float_to_pcm16(block.mono()))
        self._stream.flush()

    def close(self) -> None:
        self._stream.flush()


class DeviceSink:
    """The sound card: blocks are queued to an output stream and played as they arrive; a
    DeviceError if there is no output device or it refuses the rate."""

    def __init__(self, sample_rate: int, device: int | str | None = None, channels: int = 1):
        require_device("output", device)
        self._stream = open_stream(
            "OutputStream",
            f"the output device at {sample_rate} Hz",
            samplerate=sample_rate,
            channels=channels,
            dtype="float32",
            device=device,
        )
        start_stream(self._stream, "the output device")

    def write(self, block: AudioBlock) -> None:
        self._stream.write(block.samples.clip(-1.0, 1.0).astype("float32"))

    def close(self) -> None:
        self._stream.stop()  # plays what is queued, then stops
        self._stream.close()
