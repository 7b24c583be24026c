"""Where synthesized speech goes, block by block: an audio file, raw PCM on a stream, the sound card.

Each sink takes blocks as they are made, so long text is written or played while the rest is
still being synthesized and is never held whole in memory. Files carry the synthetic-speech tag.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol

from openhear.audio.block import AudioBlock
from openhear.audio.files import float_to_pcm16
from openhear.errors import DeviceError, OpenhearError
from openhear.tts.speech import SYNTHETIC_SPEECH_METADATA


class SpeechSink(Protocol):
    """Takes mono speech blocks in order; `close` finishes (flushes, drains the sound card)."""

    def write(self, block: AudioBlock) -> None: ...

    def close(self) -> None: ...


class FileSink:
    """A 16-bit audio file (format from the suffix: .wav, .flac, .ogg) tagged as synthetic speech."""

    def __init__(self, path: str | Path, sample_rate: int):
        import soundfile as sf

        self.path = Path(path)
        try:
            self._file = sf.SoundFile(str(self.path), "w", sample_rate, 1, subtype="PCM_16")
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
