"""A listener that hears what the hearing check really plays, for the session and CLI tests.

`ListeningPlayer` is the real `TonePlayer` (on the stand-in card) that also lets an `Ear` listen to
every buffer handed over; `VirtualKeys` is a press source on a virtual clock (so a 5-minute check
runs in a second) that presses when the ear heard the tone. The ear measures the buffer: which
channel carries sound, its frequency (spectral peak) and its plateau level, converted to dB HL
through the calibration and the ISO 389 reference thresholds, and hears it when that is at or
above the true threshold.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import hilbert

from openhear.fitting.audiogram import Listener
from openhear.fitting.hearing_levels import Calibration, retspl_db
from openhear.live.hearing_session import RESPOND, STOP
from openhear.live.tone_player import TonePlayer

REACTION_S = 0.4


class Ear:
    """Deterministic hearing: a tone at or above the threshold is heard, anything softer is not."""

    def __init__(self, truth: Listener, calibration: Calibration):
        self.truth, self.calibration = truth, calibration
        self.keys: VirtualKeys | None = None
        self.heard_levels: list[tuple[str, float, float]] = []
        """(ear, frequency, dB HL) of every tone measured."""

    def listen(self, samples: np.ndarray, rate: int) -> None:
        side = "left" if np.any(samples[:, 0]) else "right"
        x = samples[:, 0 if side == "left" else 1].astype(np.float64)
        spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
        frequency = float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])
        envelope = np.abs(hilbert(x))  # the amplitude, whatever the phase of the samples
        plateau = envelope[envelope > 0.95 * np.max(envelope)]
        rms_dbfs = 20 * np.log10(np.median(plateau) / np.sqrt(2))
        db_spl = self.calibration.db_spl_at_0dbfs + rms_dbfs
        # the nearest audiometric frequency (the spectral peak is within a few Hz of it)
        nominal = min(
            (250, 500, 1000, 2000, 3000, 4000, 6000, 8000), key=lambda f: abs(f - frequency)
        )
        level = db_spl - retspl_db(self.calibration.headphone, nominal)
        self.heard_levels.append((side, nominal, level))
        threshold = float(self.truth.ear(side).levels_at([nominal])[0])
        if level >= threshold - 0.01 and self.keys is not None:
            self.keys.press_at(self.keys.now() + REACTION_S)


class ListeningPlayer(TonePlayer):
    """The real tone player; every buffer it is handed is also heard by `ear`."""

    ear: Ear | None = None

    def play(self, samples: np.ndarray) -> None:
        super().play(samples)
        if self.ear is not None:
            self.ear.listen(samples, self.sample_rate)


class VirtualKeys:
    """Presses on a virtual clock: `wait` jumps to the next scheduled press or to the deadline."""

    def __init__(self, ear: Ear | None = None, stop_after_s: float | None = None):
        self.t = 1000.0
        self.scheduled: list[float] = []
        self.stop_after_s = stop_after_s
        if ear is not None:
            ear.keys = self

    def press_at(self, t: float) -> None:
        self.scheduled.append(t)

    def now(self) -> float:
        return self.t

    def wait(self, deadline_s: float) -> list[tuple[float, str]]:
        if self.stop_after_s is not None and self.t - 1000.0 >= self.stop_after_s:
            return [(self.t, STOP)]
        due = sorted(t for t in self.scheduled if t <= deadline_s)
        if due:
            self.scheduled.remove(due[0])
            self.t = max(self.t, due[0])
            return [(due[0], RESPOND)]
        self.t = max(self.t, deadline_s)
        return []

    def wait_for_key(self) -> str:
        return RESPOND

    def close(self) -> None:
        pass
