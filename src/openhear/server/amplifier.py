"""The live amplifier on this computer's own sound devices, started, watched and adjusted from the page.

The audio never passes through the browser (far too slow for the ear): PortAudio runs the
amplifier chain here (openhear.audio.duplex.LiveAmplifier) and the page only sends slider moves and
reads the status. Slider moves are built into a new profile on the request's thread and swapped
into the chain whole; they are also saved, so the next start uses them.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np

from openhear.errors import DeviceError, OpenhearError

METER_FLOOR_DBFS = -80.0
"""Level shown for silence."""


def _dbfs(mean_square: float) -> float:
    return max(METER_FLOOR_DBFS, 10 * math.log10(mean_square)) if mean_square > 0 else METER_FLOOR_DBFS


class AmplifierControl:
    """One live amplifier at most; every method is safe to call from any request thread."""

    def __init__(self, profile_path: Path):
        self.profile_path = profile_path
        self._lock = threading.Lock()
        self._amp = None
        self._stream = None
        self._levels = np.zeros(2)  # mean squares of the last block: input, output

    def devices(self) -> dict:
        """Inputs and outputs PortAudio sees; `available` False (with the reason) when there are none."""
        from openhear.audio.devices import list_devices

        try:
            devices = list_devices()
        except DeviceError as exc:
            return {"available": False, "message": str(exc), "inputs": [], "outputs": []}
        inputs = [{"index": d["index"], "name": d["name"]} for d in devices if d["max_input_channels"] > 0]
        outputs = [{"index": d["index"], "name": d["name"]} for d in devices if d["max_output_channels"] > 0]
        if not inputs or not outputs:
            missing = "headphones or speaker" if inputs else "microphone" if outputs else "sound device"
            message = f"No {missing} found on this computer: connect a microphone and headphones to use the amplifier."
            return {"available": False, "message": message, "inputs": inputs, "outputs": outputs}
        return {"available": True, "message": "", "inputs": inputs, "outputs": outputs}

    def _callback(self, indata, outdata, frames, stream_time, status) -> None:
        self._amp.callback(indata, outdata, frames, stream_time, status)
        left_in, left_out = indata[:, 0], outdata[:, 0]
        self._levels[0] = np.dot(left_in, left_in) / frames
        self._levels[1] = np.dot(left_out, left_out) / frames

    def start(self, input_device: int | None, output_device: int | None, block_frames: int) -> dict:
        """Opens the devices and starts amplifying with the saved profile."""
        from openhear.audio.devices import require_device, sounddevice
        from openhear.audio.duplex import LiveAmplifier

        with self._lock:
            if self._stream is not None:
                raise OpenhearError("the amplifier is already running")
            profile = self.profile()
            sd = sounddevice()
            input_info = require_device("input", input_device)
            output_info = require_device("output", output_device)
            rate = int(output_info["default_samplerate"])
            in_channels = min(2, int(input_info["max_input_channels"]))
            self._amp = LiveAmplifier(profile, rate, block_frames, in_channels)
            try:
                self._stream = sd.Stream(
                    samplerate=rate, blocksize=block_frames, device=(input_device, output_device),
                    channels=(in_channels, 2), dtype="float32", latency="low", callback=self._callback,
                )
                self._stream.start()
            except Exception as exc:  # PortAudio reports refused settings as plain exceptions
                self._stream = None
                raise DeviceError(f"cannot open the audio devices at {rate} Hz, {block_frames} frames ({exc})") from None
        return self.status()

    def stop(self) -> dict:
        with self._lock:
            if self._stream is not None:
                self._stream.stop()
                self._stream.close()
            self._stream = None
        return self.status()

    def profile(self):
        """The saved fitting profile, or an error that says how to make one."""
        from openhear.fitting.profile import read_profile

        if not self.profile_path.exists():
            raise OpenhearError("no hearing profile saved yet: set your audiogram in Hearing profile and save it")
        return read_profile(self.profile_path)

    def adjust(self, **adjustments) -> dict:
        """Moves sliders: live when running, and saved in the profile either way."""
        from openhear.fitting.profile import write_profile

        with self._lock:
            if self._amp is not None and self._stream is not None:
                profile = self._amp.set(**adjustments)
            else:
                profile = self.profile().with_adjustments(**adjustments)
            write_profile(profile, self.profile_path)
        return self.status()

    def status(self) -> dict:
        """Running state, delays, dropouts, levels and the sliders."""
        running = self._stream is not None
        amp = self._amp
        adjustments = None
        if amp is not None:
            adjustments = amp.profile.adjustments.__dict__
        elif self.profile_path.exists():
            adjustments = self.profile().adjustments.__dict__
        return {
            "running": running,
            "processing_latency_ms": round(amp.processing_latency_ms, 2) if amp else None,
            "device_latency_ms": round(1000 * amp.device_latency_s, 2) if amp and amp.device_latency_s else None,
            "dropouts": amp.dropouts if amp else 0,
            "blocks": amp.callbacks if amp else 0,
            "input_level_dbfs": round(_dbfs(float(self._levels[0])), 1) if running else None,
            "output_level_dbfs": round(_dbfs(float(self._levels[1])), 1) if running else None,
            "adjustments": adjustments,
        }
