"""Test tones for the hearing check: pulsed sine tones with a raised-cosine ramp on every edge.

A pulse rises over `ramp_s`, holds, and falls over `ramp_s` (no click: the spectrum stays near
the tone's frequency); the level of a tone is the RMS of its plateau, as an audiometer's is. Made
once per trial on the control thread, before it is handed to the player.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from openhear.units import db_to_gain

if TYPE_CHECKING:
    from openhear.fitting.audiometry import Trial
    from openhear.fitting.hearing_levels import Calibration

SIDES = ("left", "right")
"""Channel order of a stereo tone."""


def raised_cosine_ramp(frames: int) -> np.ndarray:
    """Gains rising from near 0 to near 1 over `frames` samples (half a cosine period)."""
    n = np.arange(frames, dtype=np.float64)
    return 0.5 * (1.0 - np.cos(np.pi * (n + 0.5) / frames))


def pulsed_tone(
    frequency_hz: float,
    rms_dbfs: float,
    sample_rate: int,
    *,
    pulses: int,
    pulse_s: float,
    gap_s: float,
    ramp_s: float,
) -> np.ndarray:
    """Mono float32: `pulses` tone pulses of `pulse_s` (ramps included) separated by `gap_s` of
    silence; the plateau's RMS is `rms_dbfs`. Each pulse starts at the sine's zero phase."""
    if not 0 < frequency_hz < sample_rate / 2:
        raise ValueError(f"a {frequency_hz:g} Hz tone cannot be made at {sample_rate} Hz")
    on, gap, ramp = (round(s * sample_rate) for s in (pulse_s, gap_s, ramp_s))
    if pulses < 1 or on < 2 * ramp or ramp < 1:
        raise ValueError("a pulse must hold at least its two ramps")
    amplitude = math.sqrt(2.0) * db_to_gain(rms_dbfs)
    envelope = np.ones(on)
    envelope[:ramp] = raised_cosine_ramp(ramp)
    envelope[on - ramp :] = raised_cosine_ramp(ramp)[::-1]
    pulse = amplitude * envelope * np.sin(2 * np.pi * frequency_hz * np.arange(on) / sample_rate)
    period = np.concatenate([pulse, np.zeros(gap)])
    out = np.concatenate([np.tile(period, pulses - 1), pulse]) if pulses > 1 else pulse
    return out.astype(np.float32)


def to_one_side(mono: np.ndarray, side: str) -> np.ndarray:
    """Stereo (frames x 2, left then right) with `mono` on one side and silence on the other."""
    out = np.zeros((mono.shape[0], 2), np.float32)
    out[:, SIDES.index(side)] = mono
    return out


def trial_tone(trial: Trial, calibration: Calibration, sample_rate: int) -> np.ndarray:
    """The stereo samples of a hearing-check trial's tone (`fitting.audiometry.Trial`) under a
    `fitting.hearing_levels.Calibration`: the pulses at the trial's level, in its ear. Refuses any
    level above the calibration's cap for that frequency (a second guard beside the procedure's)."""
    cap = calibration.max_level_db_hl(trial.frequency_hz)
    if trial.level_db_hl > cap:
        raise ValueError(
            f"{trial.level_db_hl:g} dB HL at {trial.frequency_hz:g} Hz is above the cap ({cap:g})"
        )
    o = trial.options
    mono = pulsed_tone(
        trial.frequency_hz,
        calibration.tone_rms_dbfs(trial.frequency_hz, trial.level_db_hl),
        sample_rate,
        pulses=o.pulses,
        pulse_s=o.pulse_s,
        gap_s=o.gap_s,
        ramp_s=o.ramp_s,
    )
    return to_one_side(mono, trial.ear)
