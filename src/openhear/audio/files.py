"""Reading and writing audio files and raw PCM streams, with one-line errors for bad input.

Files are read in blocks so an hour-long recording needs bounded memory; `read_audio` is the
whole-file convenience built on the same reader. Every block read passes `audio.guard` on its way
out: a sample that is not a number or absurdly large becomes silence, and one warning per file says
how many there were.
"""

from __future__ import annotations

import itertools
import os
import struct
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import BinaryIO, TypeAlias

import numpy as np
import soundfile as sf

from openhear.audio.block import AudioBlock
from openhear.audio.containers import ContainerError, ContainerFile
from openhear.audio.guard import guarded, zero_bad_samples
from openhear.errors import AudioInputError, OpenhearError, exception_line

DEFAULT_BLOCK_FRAMES = 16000
"""Frames per block when streaming a file (1 s at 16 kHz)."""


def _check_input_path(path: Path) -> None:
    if not path.exists():
        raise AudioInputError(f"no such file: {path}")
    if path.is_dir():
        raise AudioInputError(f"{path} is a directory, not an audio file")
    if path.stat().st_size == 0:
        raise AudioInputError(f"{path} is empty")


def _check_complete_wav(f: BinaryIO, name: str) -> None:
    """A WAV whose data chunk is shorter than its header says was cut off (libsndfile reads it
    silently); `f` is a seekable binary file, left where it was."""
    at = f.tell()
    try:
        size = f.seek(0, os.SEEK_END)
        f.seek(0)
        if f.read(4) != b"RIFF" or not f.read(4) or f.read(4) != b"WAVE":
            return
        while len(header := f.read(8)) == 8:
            chunk, chunk_size = header[:4], struct.unpack("<I", header[4:])[0]
            if chunk == b"data":
                if chunk_size != 0xFFFFFFFF and size < f.tell() + chunk_size:
                    raise AudioInputError(
                        f"{name} is truncated (its header promises more audio than the file holds)"
                    )
                return
            f.seek(chunk_size + (chunk_size & 1), os.SEEK_CUR)
    finally:
        f.seek(at)


def _open(path: Path) -> SoundSource:
    _check_input_path(path)
    return open_sound_file(str(path), str(path))


SoundSource: TypeAlias = sf.SoundFile | ContainerFile
"""An audio file open for reading: by soundfile, or by PyAV for the containers libsndfile cannot
open (webm, mp4/m4a, aac; `audio.containers`)."""


def open_sound_file(source: str | BinaryIO, name: str) -> SoundSource:
    """A path or a seekable file object (an upload) opened for reading by soundfile, else by PyAV
    (webm, ogg, mp4/m4a, aac: what browsers and phones record); unreadable, truncated (WAV) or
    empty audio is a one-line AudioInputError that calls it `name`."""
    if isinstance(source, str):
        with open(source, "rb") as raw:
            _check_complete_wav(raw, name)
    else:
        at = source.tell()
        empty = source.seek(0, os.SEEK_END) == 0
        source.seek(at)
        if empty:  # an upload of an empty file: said as for a path, not "Format not recognised"
            raise AudioInputError(f"{name} is empty")
        _check_complete_wav(source, name)
    f: SoundSource
    try:
        # a path as bytes: soundfile encodes a str strictly as UTF-8, which fails on a file name
        # that is not UTF-8 (Python keeps its bytes as surrogates)
        f = sf.SoundFile(os.fsencode(source) if isinstance(source, str) else source)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        # the reason, without libsndfile's "Error opening <_io.BytesIO object at 0x...>: "
        reason = _short(exc).rsplit(": ", 1)[-1]
        f = _open_container(source, name, reason)
    if f.frames >= UNKNOWN_FRAMES:  # a streamed FLAC (libsndfile cannot read to its end)
        f.close()
        f = _open_container(source, name, "unknown length")
    if f.frames == 0:
        f.close()
        raise AudioInputError(f"{name} contains no audio (zero length)")
    return f


UNKNOWN_FRAMES = 1 << 62
"""libsndfile's frame count for a stream that does not say its length (SF_COUNT_MAX)."""


def _open_container(source: str | BinaryIO, name: str, reason: str) -> ContainerFile:
    """`source` opened by PyAV; `reason` is why soundfile could not, for the error if PyAV
    cannot either."""
    try:
        return ContainerFile(source)
    except ContainerError:
        raise AudioInputError(f"cannot read {name} as audio ({reason})") from None


def _short(exc: BaseException) -> str:
    """The reason in a soundfile error, without the path or object repr libsndfile's message names
    (the caller's message names the file)."""
    if isinstance(exc, sf.LibsndfileError):
        return exc.error_string.strip()
    return exception_line(exc, last=True)


def audio_info(path: str | Path) -> tuple[int, int, float]:
    """(sample_rate, channels, duration_s) of an audio file, validating it."""
    with _open(Path(path)) as f:
        return f.samplerate, f.channels, f.frames / f.samplerate


def iter_audio_file(
    path: str | Path, block_frames: int = DEFAULT_BLOCK_FRAMES
) -> Iterator[AudioBlock]:
    """Yield an audio file as consecutive AudioBlocks at its own sample rate."""
    path = Path(path)
    yield from iter_sound_file(_open(path), str(path), block_frames)


def iter_sound_file(
    f: SoundSource, name: str, block_frames: int = DEFAULT_BLOCK_FRAMES
) -> Generator[AudioBlock, None, None]:
    """Yield an open sound file (a path or an uploaded file object) as AudioBlocks, closing it at
    the end, with bad samples replaced by silence (`audio.guard`); `name` is how errors and warnings
    call it."""
    return guarded(_sound_file_blocks(f, name, block_frames), name)


def _sound_file_blocks(f: SoundSource, name: str, block_frames: int) -> Iterator[AudioBlock]:
    with f:
        rate = f.samplerate
        start = 0
        try:
            for chunk in f.blocks(blocksize=block_frames, dtype="float32", always_2d=True):
                if chunk.shape[0] == 0:
                    continue
                yield AudioBlock(np.ascontiguousarray(chunk), rate, start / rate)
                start += chunk.shape[0]
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise AudioInputError(
                f"{name} is damaged after {start / rate:.1f} s ({_short(exc)})"
            ) from None
        if start == 0:
            raise AudioInputError(f"{name} contains no audio (zero length)")


def read_audio(path: str | Path) -> AudioBlock:
    """Read a whole audio file (wav, flac, ogg, mp3, ...) into one AudioBlock."""
    blocks = list(iter_audio_file(path, block_frames=1 << 18))
    return AudioBlock(np.concatenate([b.samples for b in blocks]), blocks[0].sample_rate, 0.0)


def iter_pcm_s16le(
    stream: BinaryIO, sample_rate: int, channels: int = 1, block_frames: int = 1600
) -> Iterator[AudioBlock]:
    """Yield raw signed 16-bit little-endian PCM from a binary stream (e.g.
    stdin) as AudioBlocks."""
    if not 1000 <= sample_rate <= 384000:
        raise OpenhearError(f"--rate {sample_rate} is not a usable sample rate (1000 to 384000 Hz)")
    if not 1 <= channels <= 32:
        raise OpenhearError(f"--channels {channels} is not a usable channel count (1 to 32)")
    frame_bytes = 2 * channels
    want = block_frames * frame_bytes
    pending = b""
    start = 0
    while True:
        data = stream.read(want - len(pending)) if hasattr(stream, "read") else b""
        if not data:
            break
        pending += data
        if len(pending) < want:
            continue
        yield pcm_s16le_block(pending, sample_rate, channels, start)
        start += block_frames
        pending = b""
    usable = len(pending) - len(pending) % frame_bytes
    if usable:
        yield pcm_s16le_block(pending[:usable], sample_rate, channels, start)


def stdin_pcm_blocks(stream: BinaryIO, sample_rate: int, channels: int = 1) -> Iterator[AudioBlock]:
    """`iter_pcm_s16le` with its first block read at once, so that bad options or an empty stream
    fail here (before a model loads) with a one-line error, not at the first iteration."""
    blocks = iter_pcm_s16le(stream, sample_rate, channels)
    first = next(blocks, None)
    if first is None:
        raise AudioInputError("no audio on stdin")
    return itertools.chain([first], blocks)


def pcm_s16le_block(
    data: bytes, sample_rate: int, channels: int, start_frame: int = 0
) -> AudioBlock:
    """Whole frames of signed 16-bit little-endian PCM as a float AudioBlock."""
    return AudioBlock(pcm_s16le_samples(data, channels), sample_rate, start_frame / sample_rate)


def pcm_s16le_samples(data: bytes, channels: int = 1) -> np.ndarray:
    """Whole frames of signed 16-bit little-endian PCM as float32 (frames, channels) in [-1, 1).
    They cannot be bad, but pass `audio.guard` like every source's samples (one comparison per
    block)."""
    samples = np.frombuffer(data, dtype="<i2").reshape(-1, channels).astype(np.float32) / 32768.0
    zero_bad_samples(samples)
    return samples


def float_to_pcm16(samples: np.ndarray) -> bytes:
    """Clip float samples to [-1, 1] and encode them as signed 16-bit little-endian PCM."""
    return (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()
