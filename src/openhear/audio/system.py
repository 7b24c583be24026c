"""What this computer plays, as a source, and a virtual microphone, as a sink: calls in any app.

On Linux with PulseAudio, or PipeWire's pulse server:
- `SystemAudio` records the monitor of the default output (what the computer plays: the other
  side of a Zoom, Teams, Meet, WhatsApp or Signal call), in blocks like the microphone's.
- `VirtualMicrophone` creates a null sink and offers its monitor as a source named
  "openhear microphone" (`module-null-sink` + `module-remap-source`); the call app takes it as its
  microphone, and what is written to the sink (the spoken replies) is what the app sends. The two
  modules are removed on `close`, and left-overs of an openhear that was killed are removed
  before new ones are made.

soundcard (BSD-3) records and plays; pulsectl (MIT) loads and unloads the modules. Both talk to
the server through libpulse, imported only here, and only when asked for. Audio is taken at the
captioner's rate and given at the voice's: the sound server converts it once. Where there is no
such server (another system, no libpulse, no server running), one SystemAudioError says so.
Windows and macOS are not supported yet: a backend for each would give the same two classes.
"""

from __future__ import annotations

import atexit
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from openhear.audio.block import AudioBlock
from openhear.audio.guard import guarded
from openhear.errors import DeviceError

CAPTURE_RATE = 16000
"""Rate at which the computer's output is recorded (the captioner's; the server converts)."""
BLOCK_MS = 20
"""Length of one recorded block, milliseconds."""
VIRTUAL_SINK = "openhear_voice"
"""The null sink replies are played into."""
VIRTUAL_SOURCE = "openhear_mic"
"""The source other apps take as their microphone (the null sink's monitor, remapped)."""
VIRTUAL_SOURCE_DESCRIPTION = "openhear microphone"
"""The name apps show for it."""


class SystemAudioError(DeviceError):
    """No PulseAudio or PipeWire sound server to record from or play into."""


def _no_server(detail: str) -> SystemAudioError:
    return SystemAudioError(
        f"what this computer plays can be captioned only through PulseAudio or PipeWire "
        f"on Linux: {detail}"
    )


def _soundcard() -> Any:
    """The soundcard module, connected to the sound server; a SystemAudioError if it cannot be."""
    if not sys.platform.startswith("linux"):
        raise _no_server(f"not on {sys.platform} yet")
    try:
        import soundcard
    except ImportError:
        raise _no_server("the soundcard package is missing (reinstall openhear)") from None
    except OSError:
        raise _no_server("libpulse is not installed") from None
    except Exception:  # soundcard connects on import: an assertion when there is no server
        raise _no_server("no sound server is running") from None
    return soundcard


def _pulse() -> Any:
    """A pulsectl connection to the sound server; a SystemAudioError if there is none."""
    try:
        import pulsectl
    except ImportError:
        raise _no_server("the pulsectl package is missing (reinstall openhear)") from None
    except OSError:
        raise _no_server("libpulse is not installed") from None
    try:
        return pulsectl.Pulse("openhear")
    except pulsectl.PulseError:
        raise _no_server("no sound server is running") from None


class SystemAudio:
    """The monitor of the default output device (or of `sink`, a sink's name) as a stream of
    mono AudioBlocks at CAPTURE_RATE; `blocks()` runs until `stop()`, `duration_s` or the consumer
    stops. `on_start` (if set) is called once recording has begun."""

    def __init__(self, sink: str | None = None, duration_s: float | None = None):
        sc = _soundcard()
        try:
            speaker = sc.get_speaker(sink) if sink else sc.default_speaker()
            self._monitor = sc.get_microphone(f"{speaker.id}.monitor", include_loopback=True)
        except (IndexError, RuntimeError):
            raise SystemAudioError(
                f"no output device {sink!r} to record from" if sink else "no output device"
            ) from None
        self.name: str = f"what {speaker.name} plays"
        """Says what is recorded."""
        self.duration_s = duration_s
        """Stop after this much audio; None runs until `stop()` or Ctrl-C."""
        self.on_start: Callable[[], None] | None = None
        """Called once the recorder is open (what is played from then on is heard)."""
        self._stop = threading.Event()
        self._started = time.monotonic()

    def blocks(self) -> Iterator[AudioBlock]:
        """Record and yield blocks, bad samples silenced (`audio.guard`)."""
        return guarded(self._recorded(), self.name)

    def _recorded(self) -> Iterator[AudioBlock]:
        frames_per_block = CAPTURE_RATE * BLOCK_MS // 1000
        limit = None if self.duration_s is None else self.duration_s * CAPTURE_RATE
        frames = 0
        with self._monitor.recorder(CAPTURE_RATE, channels=1, blocksize=frames_per_block) as rec:
            self._started = time.monotonic()
            if self.on_start is not None:
                self.on_start()
            while (limit is None or frames < limit) and not self._stop.is_set():
                samples = np.asarray(rec.record(frames_per_block), np.float32).reshape(-1, 1)
                yield AudioBlock(samples, CAPTURE_RATE, frames / CAPTURE_RATE)
                frames += samples.shape[0]

    def stop(self) -> None:
        """End `blocks()` after the block it is on (any thread)."""
        self._stop.set()

    def elapsed_s(self) -> float:
        """Wall-clock seconds since recording started (a live conversation's clock)."""
        return time.monotonic() - self._started


class VirtualMicrophone:
    """A microphone for other apps whose sound is what is written here (a Sink: `write`, `close`).

    Made on construction, removed by `close` (after what was written has played)."""

    def __init__(self, sample_rate: int):
        sc = _soundcard()
        self.sample_rate = sample_rate
        """Rate of the blocks written."""
        self._modules: list[int] = []
        atexit.register(self.close)  # whatever ends the program, the microphone goes
        with _pulse() as pulse:
            _remove_leftovers(pulse)
            try:
                self._modules.append(
                    pulse.module_load(
                        "module-null-sink",
                        f"sink_name={VIRTUAL_SINK} "
                        "sink_properties=\"device.description='openhear voice (replies)'\"",
                    )
                )
                self._modules.append(
                    pulse.module_load(
                        "module-remap-source",
                        f"master={VIRTUAL_SINK}.monitor source_name={VIRTUAL_SOURCE} "
                        f"source_properties=\"device.description='{VIRTUAL_SOURCE_DESCRIPTION}'\"",
                    )
                )
            except Exception as exc:
                self._unload(pulse)
                raise SystemAudioError(f"cannot create the virtual microphone ({exc})") from None
        try:
            self._player = sc.get_speaker(VIRTUAL_SINK).player(sample_rate, channels=1)
            self._player.__enter__()
        except Exception as exc:
            self.close()
            raise SystemAudioError(f"cannot play into the virtual microphone ({exc})") from None

    def write(self, block: AudioBlock) -> None:
        """Play a block into the microphone (it waits as the server's buffer fills)."""
        self._player.play(block.mono().clip(-1.0, 1.0))

    def close(self) -> None:
        """Let what was written play out, then remove the microphone (idempotent)."""
        atexit.unregister(self.close)
        player, self._player = getattr(self, "_player", None), None
        if player is not None:
            player.__exit__(None, None, None)  # drains
        if self._modules:
            with _pulse() as pulse:
                self._unload(pulse)

    def _unload(self, pulse: Any) -> None:
        while self._modules:
            try:
                pulse.module_unload(self._modules.pop())
            except Exception:
                pass  # already gone


def _remove_leftovers(pulse: Any) -> None:
    """Unload the virtual microphone's modules left by an openhear that was killed."""
    ours = {f"sink_name={VIRTUAL_SINK}", f"source_name={VIRTUAL_SOURCE}"}
    for module in pulse.module_list():
        if ours & set((module.argument or "").split()):
            try:
                pulse.module_unload(module.index)
            except Exception:
                pass
