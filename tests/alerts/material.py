"""Material for the sound-alert tests: the real recordings in tests/data/alerts and a helper that
runs a whole signal through SoundAlertDetector in blocks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from openhear.alerts.detector import SoundAlertDetector
from openhear.alerts.events import Alert
from openhear.audio.block import AudioBlock

ALERTS_DIR = Path(__file__).parents[1] / "data" / "alerts"
REAL_ALARM = ALERTS_DIR / "freesound_325367_fire_house_alarm.wav"
"""12.6 s, 16 kHz: a household smoke alarm sounding T3 at 3.09 kHz (see SOURCES.md there)."""
REAL_ALARM_FIRST_TONE_S = 3.28
"""Onset of its first tone: where the 2.5 to 3.6 kHz band first comes within 15 dB of its peak
level (20 ms frames); the 3.3 s before it are near-silence with a click."""


def read_mono(path: Path) -> np.ndarray:
    samples, rate = sf.read(path, dtype="float32")
    assert rate == 16000 and samples.ndim == 1
    return samples


def rms_dbfs(samples: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(samples, dtype=np.float64))))


def detect(
    model, samples: np.ndarray, rate: int = 16000, block_frames: int = 3200, sounds=None
) -> list[Alert]:
    """Alerts for a whole signal (frames or frames x channels), fed in blocks of `block_frames`."""
    kwargs = {} if sounds is None else {"sounds": sounds}
    detector = SoundAlertDetector(model, **kwargs)
    x = samples.reshape(samples.shape[0], -1).astype(np.float32)
    alerts = []
    for at in range(0, x.shape[0], block_frames):
        alerts += detector.feed(AudioBlock(x[at : at + block_frames], rate, at / rate))
    return alerts + detector.flush()
