"""RNNoise (Valin 2018) through `pyrnnoise`'s bundled C library: 480-sample frames at 48 kHz.

RNNoise has no attenuation limit of its own, so the limit is applied the way libDF applies its
own: the output is the denoised frame mixed with the time-aligned input at the limit's linear gain,
so pure noise is attenuated by at most `atten_lim_db`. It delays the signal by 960 samples (20 ms).
Measured here it also suppresses the speech of competing talkers (babble), so it is never a default.
"""

from __future__ import annotations

import ctypes
from types import ModuleType

import numpy as np

from openhear.errors import ModelError
from openhear.units import db_to_gain

SAMPLE_RATE = 48000
FRAME_LENGTH = 480
DELAY_FRAMES = 960
"""RNNoise's own delay, in samples at 48 kHz (two frames: overlap-add and its pitch
look-back), measured."""
_INT16_SCALE = 32768.0
_FLOAT_P = ctypes.POINTER(ctypes.c_float)


def _library() -> ModuleType:
    try:
        from pyrnnoise import rnnoise
    except (ImportError, OSError) as e:
        raise ModelError(f"RNNoise is not available ({e}); install pyrnnoise") from e
    if rnnoise.FRAME_SIZE != FRAME_LENGTH:
        raise ModelError(f"unexpected RNNoise frame size {rnnoise.FRAME_SIZE}")
    return rnnoise


class RnnoiseState:
    """One stream's RNNoise state (a `FrameModel`) with an attenuation limit."""

    sample_rate = SAMPLE_RATE
    frame_length = FRAME_LENGTH
    delay_frames = DELAY_FRAMES

    def __init__(self, atten_lim_db: float):
        self._rn = _library()
        self._state = self._rn.create()
        if not self._state:
            raise ModelError("RNNoise could not create its state")
        self._dry_gain = np.float32(db_to_gain(-atten_lim_db))
        self._scaled = np.zeros(FRAME_LENGTH, np.float32)
        self._dry = np.zeros(DELAY_FRAMES, np.float32)
        self._dry_part = np.zeros(FRAME_LENGTH, np.float32)
        self._scaled_ptr = self._scaled.ctypes.data_as(
            _FLOAT_P
        )  # made once: a cast per frame grows memory
        self.last_speech_probability = 0.0
        """RNNoise's voice-activity probability for the last frame."""

    def process_frame(self, frame: np.ndarray, out: np.ndarray) -> None:
        if self._state is None:
            raise RuntimeError("RNNoise state used after close()")
        np.multiply(frame, _INT16_SCALE, out=self._scaled)
        ptr = self._scaled_ptr
        self.last_speech_probability = self._rn.lib.rnnoise_process_frame(self._state, ptr, ptr)
        np.multiply(self._scaled, (1.0 - self._dry_gain) / _INT16_SCALE, out=out)
        out += np.multiply(self._dry[:FRAME_LENGTH], self._dry_gain, out=self._dry_part)
        self._dry[:-FRAME_LENGTH] = self._dry[FRAME_LENGTH:]
        self._dry[-FRAME_LENGTH:] = frame

    def close(self) -> None:
        if self._state is not None:
            self._rn.destroy(self._state)
            self._state = None

    def __del__(self) -> None:
        if getattr(self, "_state", None) is not None:
            self.close()
