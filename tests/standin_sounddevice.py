"""Stand-ins for the sounddevice module (this machine has no sound card), shared by the audio, CLI
and server tests: one default device and the streams opened on it. A stream's thread calls its
callback as PortAudio's audio thread would, so only openhear's own logic around the device is under
test."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import numpy as np

NO_DROPOUTS = SimpleNamespace(input_overflow=False, output_underflow=False)
"""A PortAudio callback status with nothing flagged."""


class StandInCard:
    """Enough of the sounddevice module for one default device named "stand-in" (a named device is
    not found). Its microphone hears `signal` (1-D, or frames x 2 for the duplex stream); every
    stream opened is kept in `streams`, newest last. `realtime` paces the microphone at its sample
    rate (else as fast as the consumer takes blocks); `device_latency_s` is the input-to-output time
    the duplex stream's time stamps report (None: no time stamps)."""

    def __init__(
        self,
        signal: np.ndarray | None = None,
        rate: int = 16000,
        *,
        input_channels: int = 1,
        output_channels: int = 2,
        realtime: bool = False,
        device_latency_s: float | None = 0.004,
    ):
        self.signal = np.zeros(0, np.float32) if signal is None else signal
        self.rate = rate
        self.info = {
            "name": "stand-in",
            "max_input_channels": input_channels,
            "max_output_channels": output_channels,
            "default_samplerate": float(rate),
        }
        self.realtime = realtime
        self.device_latency_s = device_latency_s
        self.streams: list = []

    def query_devices(self, device=None, kind=None):
        if device is not None:
            raise ValueError("no such device")
        return [self.info] if kind is None else self.info

    def InputStream(self, samplerate, blocksize, device, channels, dtype, callback):
        return self._opened(InputStream(self, samplerate, blocksize, callback))

    def OutputStream(self, samplerate, channels, dtype, device, blocksize=0, callback=None):
        if callback is not None:
            return self._opened(
                CallbackOutputStream(self, samplerate, channels, blocksize, callback)
            )
        return self._opened(OutputStream(self, samplerate, channels))

    def Stream(self, samplerate, blocksize, device, channels, dtype, latency, callback):
        return self._opened(
            DuplexStream(callback, blocksize, self.signal, self.device_latency_s, samplerate)
        )

    def _opened(self, stream):
        self.streams.append(stream)
        return stream

    def microphone(self, at: int, frames: int) -> np.ndarray:
        """What the microphone hears from frame `at` on: the signal (a room adds what it plays)."""
        return self.signal[at : at + frames]

    def speaker(self, samples: np.ndarray, rate: int) -> None:
        """Called with each block written to an output stream; the bare card
        only records it there."""


class _CallbackStream:
    """Once started, a thread calls the callback block by block until stopped or `_serve` has no
    more blocks; then the stream is inactive, as PortAudio reports one that died. Without a
    callback, start only marks it started."""

    def __init__(self, callback, blocksize: int):
        self.callback, self.blocksize = callback, blocksize
        self.started = self.active = self.closed = False
        self.blocks = 0
        """Callbacks made so far."""
        self._thread = None

    def start(self):
        self.started = self.active = True
        if self.callback is not None:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def _run(self):
        while self.active and self._serve(self.blocks):
            self.blocks += 1
        self.active = False

    def _serve(self, block: int) -> bool:
        """Make callback number `block`; False when there is none to make."""
        raise NotImplementedError

    def stop(self):
        self.active = False
        if self._thread is not None:
            self._thread.join()

    def close(self):
        self.closed = True


class InputStream(_CallbackStream):
    """A microphone stream: delivers the card's microphone in mono blocks until its signal ends."""

    def __init__(self, card: StandInCard, samplerate: int, blocksize: int, callback):
        super().__init__(callback, blocksize)
        self.card, self.samplerate = card, samplerate
        self._started_s = 0.0

    def start(self):
        self._started_s = time.monotonic()
        super().start()

    def _serve(self, block):
        at = block * self.blocksize
        if at + self.blocksize > self.card.signal.shape[0]:
            return False
        if self.card.realtime:
            time.sleep(max(0.0, self._started_s + at / self.samplerate - time.monotonic()))
        self.callback(
            self.card.microphone(at, self.blocksize).reshape(-1, 1), self.blocksize, None, None
        )
        return True


class DuplexStream(_CallbackStream):
    """Stands in for sounddevice.Stream: calls the callback with blocks of the stereo `signal`
    (frames x 2, looped) and a fresh output buffer, until stopped. Its time stamps run on a stream
    clock that advances a block per callback: the input block was captured then, its output plays
    `device_latency_s` later (None: the host API gives no time stamps, all 0, as some do). The
    latency may be changed while the stream runs."""

    def __init__(
        self,
        callback=None,
        blocksize: int = 64,
        signal: np.ndarray | None = None,
        device_latency_s: float | None = 0.004,
        samplerate: int = 48000,
    ):
        super().__init__(callback, blocksize)
        self.signal, self.device_latency_s = signal, device_latency_s
        self.samplerate = samplerate

    def _stamps(self, block: int) -> SimpleNamespace:
        if self.device_latency_s is None:
            return SimpleNamespace(inputBufferAdcTime=0.0, outputBufferDacTime=0.0)
        captured = 1234.5 + block * self.blocksize / self.samplerate
        return SimpleNamespace(
            inputBufferAdcTime=captured, outputBufferDacTime=captured + self.device_latency_s
        )

    def _serve(self, block):
        at = (block * self.blocksize) % (len(self.signal) - self.blocksize)
        stamps = self._stamps(block)
        outdata = np.zeros((self.blocksize, 2), np.float32)
        self.callback(
            self.signal[at : at + self.blocksize], outdata, self.blocksize, stamps, NO_DROPOUTS
        )
        time.sleep(0.0005)
        return True


class OutputStream:
    """An output stream that keeps every block written (float32, its channels) in `written`."""

    def __init__(self, card: StandInCard, rate: int, channels: int):
        self.card, self.rate, self.channels = card, rate, channels
        self.written: list[np.ndarray] = []
        self.started = self.stopped = self.closed = False

    def start(self):
        self.started = True

    def write(self, samples):
        assert samples.dtype == np.float32 and samples.shape[1] == self.channels
        self.written.append(samples.copy())
        self.card.speaker(samples, self.rate)

    def stop(self):
        self.stopped = True

    def close(self):
        self.closed = True


class CallbackOutputStream(_CallbackStream):
    """An output stream driven by a callback (as the hearing check's tone player opens one): once
    started, a thread asks the callback for block after block (not paced) until stopped, and keeps
    every block in `written`."""

    def __init__(self, card: StandInCard, rate: int, channels: int, blocksize: int, callback):
        super().__init__(callback, blocksize or 256)
        self.card, self.rate, self.channels = card, rate, channels
        self.written: list[np.ndarray] = []
        self.latency = 0.01

    def _serve(self, block):
        outdata = np.full((self.blocksize, self.channels), np.nan, np.float32)
        self.callback(outdata, self.blocksize, None, NO_DROPOUTS)
        assert np.all(np.isfinite(outdata)), "the callback left part of the block unwritten"
        self.written.append(outdata)
        self.card.speaker(outdata, self.rate)
        time.sleep(0.0005)
        return True

    def played(self) -> np.ndarray:
        """Everything written so far, frames x channels."""
        blocks = list(self.written)
        return np.concatenate(blocks) if blocks else np.zeros((0, self.channels), np.float32)
