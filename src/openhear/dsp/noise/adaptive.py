"""SNR-adaptive suppression strength: full attenuation limit in noise, stepping back when the
estimated SNR is high.

A hearing aid's noise reduction helps where the signal-to-noise ratio is poor and costs a little
speech quality where it is already good (HASPI on the VoiceBank-DEMAND files, whose SNRs are 2.5 to
17.5 dB, was higher for the chain alone than for the chain with DeepFilterNet3 at 12 dB). Commercial
aids therefore scale their noise reduction with an SNR estimate that changes over seconds, not per
frame (moving the limit frame by frame was measured to cost more than it gains).

`SnrTracker` estimates the SNR from the input's frame levels (dB): a noise floor that follows dips
at once and rises slowly (`FLOOR_RISE_DB_PER_S`), and a speech level that follows peaks quickly and
decays over seconds (`SPEECH_DECAY_S`). `limit_for_snr` maps the estimate to a limit: the full limit
up to `FULL_BELOW_SNR_DB`, `MIN_LIMIT_DB` from `MIN_ABOVE_SNR_DB`, linear between; the applied
limit then moves towards that target by at most `SLEW_DB_PER_S`. `AdaptiveLimitModel` wraps a
frame model whose limit can change between frames (DeepFilterNet3) and drives it.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from openhear.dsp.noise.framed import FrameModel

FLOOR_RISE_DB_PER_S = 3.0
"""How fast the noise-floor estimate may rise (it falls to any quieter frame at once)."""
SPEECH_ATTACK_S = 0.05
"""Time constant of the speech-level estimate rising to a louder frame."""
SPEECH_DECAY_S = 2.0
"""Time constant of the speech-level estimate falling towards quieter frames."""
FULL_BELOW_SNR_DB = 13.0
"""Estimated SNR (speech peaks over the noise floor) at and below which the full limit applies."""
MIN_ABOVE_SNR_DB = 28.0
"""Estimated SNR at and above which the limit is `MIN_LIMIT_DB`."""
MIN_LIMIT_DB = 0.5
"""The lowest limit applied: above 0 dB, which libDF treats as a pass-through without its delay."""
SLEW_DB_PER_S = 6.0
"""The most the applied limit changes per second."""
SILENCE_DB = -100.0
"""Frame level (dB re full scale power) given to digital silence."""


class LimitedFrameModel(FrameModel, Protocol):
    """A frame model whose attenuation limit can change between frames (DeepFilterNet3)."""

    def set_attenuation_limit(self, atten_lim_db: float) -> None: ...


class SnrTracker:
    """Slow SNR estimate (dB) from successive frame levels; starts at 0 dB (noise assumed)."""

    def __init__(self, frame_s: float):
        self._rise = FLOOR_RISE_DB_PER_S * frame_s
        self._attack = 1.0 - math.exp(-frame_s / SPEECH_ATTACK_S)
        self._decay = 1.0 - math.exp(-frame_s / SPEECH_DECAY_S)
        self._floor: float | None = None
        self._speech = 0.0

    def update(self, level_db: float) -> float:
        """Take one frame's level (dB) and return the SNR estimate."""
        if self._floor is None:
            self._floor = self._speech = level_db
        self._floor = min(level_db, self._floor + self._rise)
        rate = self._attack if level_db > self._speech else self._decay
        self._speech += rate * (level_db - self._speech)
        self._speech = max(self._speech, self._floor)
        return self._speech - self._floor


def limit_for_snr(snr_db: float, full_limit_db: float) -> float:
    """The target attenuation limit (dB) for an SNR estimate."""
    t = (snr_db - FULL_BELOW_SNR_DB) / (MIN_ABOVE_SNR_DB - FULL_BELOW_SNR_DB)
    t = min(1.0, max(0.0, t))
    return max(MIN_LIMIT_DB, full_limit_db + t * (MIN_LIMIT_DB - full_limit_db))


class AdaptiveLimitModel:
    """A frame model whose attenuation limit follows the slow SNR estimate of its input.

    The limit starts at the full `atten_lim_db` and moves by at most `SLEW_DB_PER_S`."""

    def __init__(self, model: LimitedFrameModel, atten_lim_db: float):
        self._model = model
        self.sample_rate = model.sample_rate
        self.frame_length = model.frame_length
        self.delay_frames = model.delay_frames
        frame_s = model.frame_length / model.sample_rate
        self._tracker = SnrTracker(frame_s)
        self._step = SLEW_DB_PER_S * frame_s
        self.full_limit_db = float(atten_lim_db)
        self.limit_db = self.full_limit_db
        """The limit applied to the last frame (dB)."""
        self.snr_db = 0.0
        """The SNR estimate after the last frame (dB)."""

    def process_frame(self, frame: np.ndarray, out: np.ndarray) -> None:
        power = float(np.dot(frame, frame)) / len(frame)
        level = 10.0 * math.log10(power) if power > 0.0 else SILENCE_DB
        self.snr_db = self._tracker.update(level)
        target = limit_for_snr(self.snr_db, self.full_limit_db)
        limit = self.limit_db + min(self._step, max(-self._step, target - self.limit_db))
        if limit != self.limit_db:
            self.limit_db = limit
            self._model.set_attenuation_limit(limit)
        self._model.process_frame(frame, out)

    def close(self) -> None:
        self._model.close()
