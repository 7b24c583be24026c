"""The live amplifier on this computer's own sound devices, started, watched and adjusted from the
page.

The audio never passes through the browser (far too slow for the ear): PortAudio runs the
amplifier chain here (openhear.live.amplifier.LiveAmplifier, the same one `openhear amplify --live`
runs) and the page only sends slider moves and reads the status. Slider moves are built into a new
profile on the request's thread and swapped into the chain whole; they are also saved, so the next
start uses them.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openhear.errors import DeviceError, OpenhearError

if TYPE_CHECKING:
    from openhear.fitting.profile import FittingProfile
    from openhear.live.amplifier import LiveAmplifier


class AmplifierControl:
    """One live amplifier at most; every method is safe to call from any request thread."""

    def __init__(self, profile_path: Path):
        self.profile_path = profile_path
        self._lock = threading.Lock()
        self._amp: LiveAmplifier | None = (
            None  # the last started LiveAmplifier: its statistics stay shown after a stop
        )

    def devices(self) -> dict:
        """Inputs and outputs PortAudio sees; `available` False (with the reason)
        when there are none."""
        from openhear.audio.devices import list_devices

        try:
            devices = list_devices()
        except DeviceError as exc:
            return {"available": False, "message": str(exc), "inputs": [], "outputs": []}
        inputs = [
            {"index": d["index"], "name": d["name"]} for d in devices if d["max_input_channels"] > 0
        ]
        outputs = [
            {"index": d["index"], "name": d["name"]}
            for d in devices
            if d["max_output_channels"] > 0
        ]
        if not inputs or not outputs:
            missing = (
                "headphones or speaker" if inputs else "microphone" if outputs else "sound device"
            )
            message = (
                f"No {missing} found on this computer: connect a microphone and "
                "headphones to use the amplifier."
            )
            return {"available": False, "message": message, "inputs": inputs, "outputs": outputs}
        return {"available": True, "message": "", "inputs": inputs, "outputs": outputs}

    def start(self, input_device: int | None, output_device: int | None, block_frames: int) -> dict:
        """Opens the devices and starts amplifying with the saved profile."""
        from openhear.live.amplifier import LiveAmplifier, LiveOptions

        with self._lock:
            if self._amp is not None and self._amp.running:
                raise OpenhearError("the amplifier is already running")
            if self._amp is not None:
                self._amp.stop()  # one that PortAudio gave up on (a device went away)
            amp = LiveAmplifier.open(
                self.profile(), LiveOptions(input_device, output_device, block_frames=block_frames)
            )
            amp.start()
            self._amp = amp
        return self.status()

    def stop(self) -> dict:
        with self._lock:
            if self._amp is not None:
                self._amp.stop()
        return self.status()

    def profile(self) -> FittingProfile:
        """The saved fitting profile, or an error that says how to make one."""
        from openhear.fitting.profile import read_profile

        if not self.profile_path.exists():
            raise OpenhearError(
                "no hearing profile saved yet: set your audiogram in Hearing profile and save it"
            )
        return read_profile(self.profile_path)

    def adjust(self, **adjustments: Any) -> dict:
        """Moves sliders: live when running, and saved in the profile either way."""
        from openhear.fitting.profile import write_profile

        with self._lock:
            if self._amp is not None and self._amp.running:
                profile = self._amp.set(**adjustments)
            else:
                profile = self.profile().with_adjustments(**adjustments)
            write_profile(profile, self.profile_path)
        return self.status()

    def status(self) -> dict:
        """Running state, delays, dropouts, levels (the louder ear, and each
        ear) and the sliders."""
        amp = self._amp
        live = amp.status() if amp is not None else None
        running = bool(live and live.running)
        adjustments = None
        if amp is not None:
            adjustments = amp.profile.adjustments.__dict__
        elif self.profile_path.exists():
            adjustments = self.profile().adjustments.__dict__
        return {
            "running": running,
            "processing_latency_ms": live.processing_latency_ms if live else None,
            "device_latency_ms": live.device_latency_ms if live else None,
            "dropouts": live.dropouts if live else 0,
            "blocks": live.blocks if live else 0,
            "replaced_samples": live.replaced_samples if live else 0,
            "input_level_dbfs": max(live.input_rms_dbfs) if live and running else None,
            "output_level_dbfs": max(live.output_rms_dbfs) if live and running else None,
            "levels": {
                "input_rms_dbfs": live.input_rms_dbfs,
                "input_peak_dbfs": live.input_peak_dbfs,
                "output_rms_dbfs": live.output_rms_dbfs,
                "output_peak_dbfs": live.output_peak_dbfs,
            }
            if live and running
            else None,
            "adjustments": adjustments,
        }
