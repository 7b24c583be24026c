"""Where synthesized speech goes, block by block: an audio file, raw PCM on a stream, the sound card.

Each sink takes blocks as they are made, so long text is written or played while the rest is
still being synthesized and is never held whole in memory. Files carry the synthetic-speech tag.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar

from openhear.audio.block import AudioBlock
from openhear.audio.files import float_to_pcm16
from openhear.errors import DeviceError, OpenhearError
from openhear.tts.speech import SYNTHETIC_SPEECH_METADATA


T = TypeVar("T")


def made_ahead(items: Iterable[T], ahead: int = 2) -> Iterator[T]:
    """Iterate `items` on a background thread, at most `ahead` items ahead of the consumer.

    A sound card's write blocks while it plays; synthesizing the next sentence on that same thread
    would insert its synthesis time as a gap. Errors in the producer are raised in the consumer;
    a consumer that stops early stops the producer after its current item.
    """
    handoff: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(message: tuple) -> bool:
        while not stop.is_set():
            try:
                handoff.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
        except BaseException as exc:  # handed to the consumer
            put(("error", exc))
            return
        put(("done", None))

    threading.Thread(target=produce, daemon=True, name="openhear-synthesize").start()
    try:
        while True:
            kind, item = handoff.get()
            if kind == "done":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()


class SpeechSink(Protocol):
    """Takes mono speech blocks in order; `close` finishes (flushes, drains the sound card)."""

    def write(self, block: AudioBlock) -> None: ...

    def close(self) -> None: ...


class FileSink:
    """An audio file (format from the suffix: .wav and .flac 16-bit, .ogg Vorbis, .mp3) tagged as synthetic speech."""

    def __init__(self, path: str | Path, sample_rate: int):
        import soundfile as sf

        self.path = Path(path)
        fmt = self.path.suffix[1:].upper()
        subtype = "PCM_16" if fmt and sf.check_format(fmt, "PCM_16") else None  # else the format's own (Vorbis, MP3)
        try:
            self._file = sf.SoundFile(str(self.path), "w", sample_rate, 1, subtype=subtype)
            for key, value in SYNTHETIC_SPEECH_METADATA.items():
                setattr(self._file, key, value)
        except (sf.LibsndfileError, RuntimeError, OSError, TypeError, ValueError) as exc:
            detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise OpenhearError(f"cannot write {self.path} ({detail})") from None

    def write(self, block: AudioBlock) -> None:
        self._file.write(block.samples.clip(-1.0, 1.0))

    def close(self) -> None:
        self._file.close()


class RawSink:
    """Signed 16-bit little-endian mono PCM at the voice's rate, written to a binary stream (stdout)."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream

    def write(self, block: AudioBlock) -> None:
        self._stream.write(float_to_pcm16(block.samples[:, 0]))
        self._stream.flush()

    def close(self) -> None:
        self._stream.flush()


class DeviceSink:
    """The sound card: blocks are queued to an output stream and played as they arrive."""

    def __init__(self, sample_rate: int, device: int | str | None = None):
        from openhear.audio.devices import require_device, sounddevice

        try:
            require_device("output", device)
        except DeviceError as exc:
            raise DeviceError(f"{exc}; use -o FILE.wav or --raw to write the speech instead") from None
        sd = sounddevice()
        try:
            self._stream = sd.OutputStream(samplerate=sample_rate, channels=1, dtype="float32", device=device)
            self._stream.start()
        except Exception as exc:  # PortAudio reports host errors as plain exceptions
            raise DeviceError(f"cannot open the output device ({exc}); use -o FILE.wav instead") from None

    def write(self, block: AudioBlock) -> None:
        self._stream.write(block.samples.clip(-1.0, 1.0).astype("float32"))

    def close(self) -> None:
        self._stream.stop()  # plays what is queued, then stops
        self._stream.close()
