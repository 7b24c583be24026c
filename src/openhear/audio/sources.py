"""The microphone as a stream of AudioBlocks.

PortAudio's callback only copies each block into a queue; `blocks()` (the caller's thread) hands
them on with their start times. The stream runs while `blocks()` is being iterated and is closed
when the iteration ends: at `duration_s`, on `stop()` from another thread, on Ctrl-C, or when the
consumer stops early.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from openhear.audio.block import AudioBlock
from openhear.audio.devices import open_stream, require_device, start_stream
from openhear.audio.guard import guarded
from openhear.errors import DeviceError

WAIT_S = 0.1
"""How often a waiting `blocks()` checks for `stop()`."""


class Microphone:
    """An input device opened at its default (or the given) rate; a DeviceError if there is none."""

    def __init__(
        self,
        device: int | str | None = None,
        sample_rate: int | None = None,
        block_frames: int | None = None,
        channels: int = 1,
        duration_s: float | None = None,
    ):
        info = require_device("input", device)
        self.name: str = info["name"]
        """The device's name as PortAudio reports it."""
        self.sample_rate = int(sample_rate or info["default_samplerate"])
        """Samples per second of the blocks."""
        self.block_frames = block_frames or self.sample_rate // 50
        """Frames per block (default 20 ms)."""
        self.duration_s = duration_s
        """Stop after this much audio; None runs until `stop()` or Ctrl-C."""
        self._captured: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._stream = open_stream(
            "InputStream",
            f"the input device at {self.sample_rate} Hz",
            samplerate=self.sample_rate,
            blocksize=self.block_frames,
            device=device,
            channels=channels,
            dtype="float32",
            callback=self._callback,
        )

    def _callback(self, indata: np.ndarray, _frames: int, _time: Any, _status: Any) -> None:
        self._captured.put(indata.copy())

    def blocks(self) -> Iterator[AudioBlock]:
        """Start the stream and yield its blocks until the duration, `stop()` or the consumer stops,
        with bad samples replaced by silence (`audio.guard`)."""
        return guarded(self._captured_blocks(), f"the microphone {self.name!r}")

    def _captured_blocks(self) -> Iterator[AudioBlock]:
        frames, limit = 0, None if self.duration_s is None else self.duration_s * self.sample_rate
        start_stream(self._stream, "the input device")
        self._started = time.monotonic()
        try:
            while (limit is None or frames < limit) and not self._stop.is_set():
                samples = self._next()
                if samples is None:
                    continue
                yield AudioBlock(samples, self.sample_rate, frames / self.sample_rate)
                frames += samples.shape[0]
        finally:
            self._stream.stop()
            self._stream.close()

    def _next(self) -> np.ndarray | None:
        """The next captured block; None when stopped while waiting; a DeviceError
        when the stream died."""
        while True:
            try:
                return self._captured.get(timeout=WAIT_S)
            except queue.Empty:
                if self._stop.is_set():
                    return None
                if not getattr(self._stream, "active", True):
                    raise DeviceError(
                        f"the microphone {self.name!r} stopped (a device went away)"
                    ) from None

    def stop(self) -> None:
        """End `blocks()` after the block it is on (any thread)."""
        self._stop.set()

    def elapsed_s(self) -> float:
        """Wall-clock seconds since the stream started (the conversation
        clock of a live session)."""
        return time.monotonic() - self._started
