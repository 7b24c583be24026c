"""The live amplifier: microphone -> stereo amplifier chain -> headphones, through one duplex
stream.

`LiveAmplifier` is the non-blocking API the CLI and the server share: `open` picks the devices and
opens the stream, `start` / `stop` run it in the background, `update` / `set` swap new settings in
whole, `status` reads latency, dropouts and per-ear levels. Its `callback` is what PortAudio calls
on the audio thread and does nothing but copy the input into a preallocated stereo buffer, replace
bad samples there by silence (`audio.guard`, counted in `replaced_samples`), call `chain.process`,
fold both sides into preallocated level meters and note dropouts and the stream's time stamps.

The typed command shell of `openhear amplify --live` (`boost 6`, `quit`) is `live.shell`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from openhear.audio.devices import open_stream, require_device, start_stream
from openhear.audio.guard import MAX_SAMPLE_DBFS, zero_bad_samples
from openhear.audio.meters import StereoMeter
from openhear.dsp.chain import StereoChain
from openhear.fitting.profile import FittingProfile


@dataclass(frozen=True)
class LiveOptions:
    """How to run the live amplifier."""

    input_device: int | str | None = None
    """Microphone (index or name as `openhear devices` lists); None for the default."""
    output_device: int | str | None = None
    """Headphones; None for the default."""
    sample_rate: int | None = None
    """Stream rate; None for the output device's default rate."""
    block_frames: int = 64
    """Frames per callback (64 at 48 kHz is 1.3 ms)."""
    duration_s: float | None = None
    """Stop after this long; None runs until `quit` or Ctrl-C."""


@dataclass(frozen=True)
class LiveStatus:
    """What the live amplifier is doing, read on the control thread."""

    running: bool
    """The stream is started and PortAudio still calls it."""
    sample_rate: int
    """Stream rate in Hz."""
    processing_latency_ms: float
    """The chain's algorithmic delay (filterbank, noise suppression)."""
    device_latency_ms: float | None
    """Input-to-output time through the devices' buffers, from the stream's time
    stamps (None until known)."""
    dropouts: int
    """Callbacks that PortAudio flagged with an input overflow or output underflow."""
    blocks: int
    """Audio callbacks served."""
    input_rms_dbfs: tuple[float, ...]
    """Running RMS of the microphone, (left, right) ear."""
    input_peak_dbfs: tuple[float, ...]
    """Held peak of the microphone, (left, right)."""
    output_rms_dbfs: tuple[float, ...]
    """Running RMS sent to the headphones, (left, right)."""
    output_peak_dbfs: tuple[float, ...]
    """Held peak sent to the headphones, (left, right)."""
    replaced_samples: int
    """Microphone samples that were not a number or out of range, replaced by silence."""


class LiveAmplifier:
    """The chain, its audio callback, the stream that calls it, and the live statistics."""

    def __init__(
        self, profile: FittingProfile, sample_rate: int, block_frames: int, input_channels: int
    ):
        self.profile = profile
        self.sample_rate = sample_rate
        max_frames = max(block_frames, 4096)
        self.chain = StereoChain.from_profile(profile)
        self.chain.prepare(sample_rate, max_frames)
        self._stereo = np.zeros((max_frames, 2), np.float32)
        self._scratch = np.zeros((max_frames, 2), np.float32)
        self._bad = np.zeros((max_frames, 2), bool)
        self._right_channel = 1 if input_channels > 1 else 0
        self._input_meter = StereoMeter(sample_rate, block_frames, max_frames)
        self._output_meter = StereoMeter(sample_rate, block_frames, max_frames)
        self.stream: Any = None
        """The PortAudio stream that calls `callback` (set by `open`, or by a test)."""
        self._started = False
        self.callbacks = 0
        """Audio callbacks served."""
        self.dropouts = 0
        """Callbacks that PortAudio flagged with an input overflow or output underflow."""
        self.device_latency_s = 0.0
        """Input-to-output time through the devices' buffers, from the stream's time
        stamps (0 if unknown)."""
        self.replaced_samples = 0
        """Microphone samples that were not a number or out of range, replaced by silence."""

    @classmethod
    def open(cls, profile: FittingProfile, options: LiveOptions) -> LiveAmplifier:
        """An amplifier with its duplex stream opened (not started); a DeviceError when there
        is no usable device."""
        input_info = require_device("input", options.input_device)
        output_info = require_device("output", options.output_device)
        rate = int(options.sample_rate or output_info["default_samplerate"])
        in_channels = min(2, int(input_info["max_input_channels"]))
        amp = cls(profile, rate, options.block_frames, in_channels)
        amp.stream = open_stream(
            "Stream",
            f"the audio devices at {rate} Hz, {options.block_frames} frames",
            samplerate=rate,
            blocksize=options.block_frames,
            device=(options.input_device, options.output_device),
            channels=(in_channels, 2),
            dtype="float32",
            latency="low",
            callback=amp.callback,
        )
        return amp

    def callback(
        self,
        indata: np.ndarray,
        outdata: np.ndarray,
        frames: int,
        stream_time: Any,
        status: Any,
    ) -> None:
        if status.input_overflow or status.output_underflow:
            self.dropouts += 1
        stereo = self._stereo[:frames]
        stereo[:, 0] = indata[:, 0]
        stereo[:, 1] = indata[:, self._right_channel]
        bad = zero_bad_samples(stereo, self._scratch[:frames], self._bad[:frames])
        if bad:
            self.replaced_samples += bad
        self._input_meter.measure(stereo)
        outdata[:] = self.chain.process(stereo)
        self._output_meter.measure(outdata)
        self.callbacks += 1
        if stream_time.inputBufferAdcTime > 0 and stream_time.outputBufferDacTime > 0:
            self.device_latency_s = stream_time.outputBufferDacTime - stream_time.inputBufferAdcTime

    def start(self) -> None:
        """Start amplifying in the background (returns at once)."""
        start_stream(self.stream, "the audio devices")
        self._started = True

    def stop(self) -> None:
        """Stop and close the stream (safe to call twice); the statistics stay readable."""
        if self._started:
            self._started = False
            self.stream.stop()
            self.stream.close()

    @property
    def running(self) -> bool:
        """Started, and PortAudio has not given up on the stream (a device went away or
        the callback failed)."""
        return self._started and bool(getattr(self.stream, "active", True))

    @property
    def processing_latency_ms(self) -> float:
        """The chain's algorithmic delay (filterbank, noise suppression)."""
        return 1000.0 * self.chain.latency_frames / self.sample_rate

    def update(self, profile: FittingProfile) -> None:
        """New settings (control thread): built into the chain's parameters here
        and swapped in whole."""
        self.chain.update(profile)
        self.profile = profile

    def set(self, **adjustments: Any) -> FittingProfile:
        """Move sliders: the profile with these adjustments, swapped in."""
        profile = self.profile.with_adjustments(**adjustments)
        self.update(profile)
        return profile

    def status(self) -> LiveStatus:
        input_rms, input_peak = self._input_meter.read()
        output_rms, output_peak = self._output_meter.read()
        device_ms = round(1000 * self.device_latency_s, 2) if self.device_latency_s else None
        return LiveStatus(
            self.running,
            self.sample_rate,
            round(self.processing_latency_ms, 2),
            device_ms,
            self.dropouts,
            self.callbacks,
            input_rms,
            input_peak,
            output_rms,
            output_peak,
            self.replaced_samples,
        )

    def report(self) -> str:
        """The status and the sliders as one line."""
        adj = self.profile.adjustments
        device = (
            f"{1000 * self.device_latency_s:.1f} ms devices (measured) + "
            if self.device_latency_s
            else ""
        )
        return (
            f"latency {device}{self.processing_latency_ms:.1f} ms processing; dropouts "
            f"{self.dropouts} in {self.callbacks} blocks; boost {adj.boost_db:g} dB, tone "
            f"{adj.tone_db:g} dB, balance {adj.balance_db:g} dB, noise {adj.noise_kind} "
            f"{adj.noise_strength:g}, max {adj.max_output_db_spl:g} dB SPL{self._replaced_note()}"
        )

    def _replaced_note(self) -> str:
        """The warning for bad microphone samples, or nothing when there were none."""
        if not self.replaced_samples:
            return ""
        return (
            f"; warning: {self.replaced_samples} bad microphone samples (not a number, or beyond "
            f"+{MAX_SAMPLE_DBFS:g} dBFS) replaced by silence"
        )
