"""Where results go: output paths checked before any work starts, and audio files written block by
block to a temporary file that replaces OUT only once it is complete.

`check_output_file` and `check_audio_output` answer a bad OUT (a directory, a missing or read-only
directory, a read-only file, a suffix that is not an audio format openhear writes) with a one-line
OpenhearError, so that a command fails at once instead of after minutes of work. `AudioFileWriter`
writes beside OUT and renames over it at the end: a failure half-way (a damaged input, a full disk,
Ctrl-C) leaves OUT as it was, and OUT may even be the file being read. `open_tagged` is the one
place a sound file is opened with its text tags, for files and for answers in memory
(`encode_audio`).
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np
import soundfile as sf

from openhear.audio.block import AudioBlock
from openhear.errors import OpenhearError, exception_line

AUDIO_OUTPUT_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")
"""The audio formats openhear writes, by file suffix: WAV and FLAC (16-bit), Ogg Vorbis, MP3."""


def _detail(exc: BaseException) -> str:
    return exception_line(exc, last=True)


def check_output_file(path: str | Path) -> Path:
    """OUT as a Path if a file can be written there (its directory exists and is writable, and it
    is not a directory or a read-only file); otherwise a one-line OpenhearError."""
    path = Path(path)
    if path.is_dir():
        raise OpenhearError(f"{path} is a directory: give a file name for the output")
    parent = path.parent
    if not parent.exists():
        raise OpenhearError(f"cannot write {path}: no such directory {parent}")
    if not parent.is_dir():
        raise OpenhearError(f"cannot write {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OpenhearError(f"cannot write {path}: permission denied")
    return path


def writable_audio_suffixes() -> tuple[str, ...]:
    """The AUDIO_OUTPUT_SUFFIXES this machine's libsndfile can write (MP3 needs 1.1 or later)."""
    formats = sf.available_formats()
    return tuple(s for s in AUDIO_OUTPUT_SUFFIXES if s[1:].upper() in formats)


def check_audio_output(path: str | Path) -> Path:
    """`check_output_file`, and the suffix must name an audio format openhear writes."""
    path = Path(path)
    if path.is_dir():
        check_output_file(path)
    suffixes = writable_audio_suffixes()
    if path.suffix.lower() not in suffixes:
        what = f"unknown audio format {path.suffix!r}" if path.suffix else "no audio format suffix"
        raise OpenhearError(f"cannot write {path}: {what} (use {', '.join(suffixes)})")
    return check_output_file(path)


def open_tagged(
    target: str | BinaryIO,
    sample_rate: int,
    channels: int,
    tags: Mapping[str, str] | None = None,
    file_format: str | None = None,
    subtype: str | None = None,
) -> sf.SoundFile:
    """A sound file (a path, or a file object such as a buffer in memory) opened for writing
    with soundfile's `file_format` (default: from the suffix) and `subtype`, and its text tags
    (title, comment, ...) set: the one place tagged audio is written."""
    # a path as bytes: soundfile encodes a str strictly as UTF-8, which fails on a name that is
    # not UTF-8 (Python keeps its bytes as surrogates)
    path_or_file = os.fsencode(target) if isinstance(target, str) else target
    f = sf.SoundFile(path_or_file, "w", sample_rate, channels, subtype=subtype, format=file_format)
    try:
        for key, value in (tags or {}).items():
            setattr(f, key, value)
    except BaseException:
        f.close()
        raise
    return f


def encode_audio(
    block: AudioBlock, file_format: str, subtype: str, tags: Mapping[str, str] | None = None
) -> bytes:
    """`block` as a file in memory (soundfile's `file_format` and `subtype`), clipped to
    [-1, 1], with text tags."""
    buffer = io.BytesIO()
    with open_tagged(buffer, block.sample_rate, block.channels, tags, file_format, subtype) as f:
        f.write(np.clip(block.samples, -1.0, 1.0))
    return buffer.getvalue()


def open_audio_output(
    path: str | Path,
    sample_rate: int,
    channels: int,
    tags: Mapping[str, str] | None = None,
    name: str | Path | None = None,
) -> sf.SoundFile:
    """An audio file opened for writing, format from the suffix (WAV and FLAC as 16-bit PCM, Ogg and
    MP3 in their own codec), with text tags (title, comment, ...); a one-line OpenhearError that
    calls it `name` (default: the path) if it cannot be made."""
    fmt = Path(path).suffix[1:].upper()
    subtype = "PCM_16" if fmt and sf.check_format(fmt, "PCM_16") else None
    try:
        f = open_tagged(str(path), sample_rate, channels, tags, subtype=subtype)
    except (sf.LibsndfileError, RuntimeError, OSError, TypeError, ValueError) as exc:
        raise OpenhearError(f"cannot write {name or path} ({_detail(exc)})") from None
    return f


class AudioFileWriter:
    """Writes an audio file block by block into a temporary file beside OUT, which replaces OUT at
    `commit`; `discard` deletes it. As a context manager it commits when the block ends normally and
    discards on an exception. The path is checked (`check_audio_output`) before anything is made."""

    def __init__(
        self,
        path: str | Path,
        sample_rate: int,
        channels: int,
        tags: Mapping[str, str] | None = None,
    ):
        self.path = check_audio_output(path)
        self.frames = 0
        """Frames written so far."""
        self._target = Path(os.path.realpath(self.path))  # a symlink: write where it points
        self._partial = self._target.with_name(
            f".{self._target.name}.{secrets.token_hex(4)}.partial{self._target.suffix}"
        )
        self._file: sf.SoundFile | None = open_audio_output(
            self._partial, sample_rate, channels, tags, name=self.path
        )

    def _open_file(self) -> sf.SoundFile:
        if self._file is None:
            raise OpenhearError(f"{self.path} is already finished or discarded")
        return self._file

    def write(self, samples: np.ndarray) -> None:
        """Append (frames, channels) float samples, clipped to [-1, 1]."""
        try:
            self._open_file().write(np.clip(samples, -1.0, 1.0))
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            raise OpenhearError(f"cannot write {self.path} ({_detail(exc)})") from None
        self.frames += len(samples)

    def commit(self) -> None:
        """Finish the file and put it in place of OUT."""
        try:
            self._open_file().close()
            os.replace(self._partial, self._target)
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            self.discard()
            raise OpenhearError(f"cannot write {self.path} ({_detail(exc)})") from None
        self._file = None

    def discard(self) -> None:
        """Delete the temporary file; OUT stays as it was."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._partial.unlink(missing_ok=True)

    def __enter__(self) -> AudioFileWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()
