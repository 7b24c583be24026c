"""A simulated listener for the hearing check: known thresholds, a psychometric function, reaction
times and presses at random, answering the same `HearingCheck` the terminal drives.

The chance of answering a tone at L dB HL, for a true threshold T, is

    p(L) = guess + (1 - guess - lapse) / (1 + exp(-slope (L - T)))

where T, the midpoint, is heard half the time without guesses and lapses. It lies
`midpoint_below_threshold_db` below the listener's audiogram threshold, as a clinical threshold
does; `slope_per_db` = 0.74 takes detection from 5 % to 95 % over 8 dB. Presses without a tone
come at random times (a Poisson process, `false_press_rate_per_s`). Everything random comes from
one seeded generator.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from openhear.fitting.audiogram import Audiogram, Listener, preset
from openhear.fitting.audiometry import CheckOptions, CheckResult, HearingCheck, Trial


@dataclass(frozen=True)
class ListenerModel:
    """How the simulated listener answers."""

    slope_per_db: float = 0.74
    """Slope of the logistic psychometric function at threshold (per dB)."""
    guess_rate: float = 0.02
    """Chance of answering a tone that was not heard (pressing as if it had been)."""
    lapse_rate: float = 0.02
    """Chance of missing a tone well above threshold (attention)."""
    false_press_rate_per_s: float = 0.01
    """Presses at random times, unrelated to any tone, per second."""
    midpoint_below_threshold_db: float = 2.0
    """The audiogram threshold lies this far above the psychometric function's midpoint (the
    Hughson-Westlake rule finds a level heard on at least half of its presentations, at or above
    the midpoint: Marshall and Jesteadt 1986; audiometry_trainer models a 45 dB HL loss with a
    midpoint near 43 dB HL and an 8 dB wide function, which `slope_per_db` = 0.74 is)."""
    reaction_s: float = 0.45
    """Median time from the tone's onset to the press."""
    reaction_spread: float = 0.3
    """Log-normal spread (sigma) of the reaction time."""


TYPICAL = ListenerModel()
"""An attentive listener: few guesses and lapses, rare stray presses."""
RANDOM_PRESSER = ListenerModel(guess_rate=0.0, lapse_rate=1.0, false_press_rate_per_s=0.5)
"""Presses at random times, about every two seconds, whatever is played."""
GUESSER = ListenerModel(guess_rate=0.5, false_press_rate_per_s=0.0)
"""Presses in time with half the trials, tone or not: only catch trials show it."""


class SimulatedListener:
    """Answers trials for `listener` (true thresholds) as `model` says, from `seed`."""

    def __init__(self, listener: Listener, model: ListenerModel = TYPICAL, seed: int = 0) -> None:
        self.listener, self.model = listener, model
        self.rng = np.random.default_rng(seed)

    def threshold_db_hl(self, ear: str, frequency_hz: float) -> float:
        """The true threshold (linear in log frequency between the audiogram's points)."""
        return float(self.listener.ear(ear).levels_at([frequency_hz])[0])

    def midpoint_db_hl(self, ear: str, frequency_hz: float) -> float:
        """The level heard half the time (guesses and lapses aside)."""
        return self.threshold_db_hl(ear, frequency_hz) - self.model.midpoint_below_threshold_db

    def p_heard(self, ear: str, frequency_hz: float, level_db_hl: float) -> float:
        m = self.model
        detect = 1.0 / (
            1.0 + math.exp(-m.slope_per_db * (level_db_hl - self.midpoint_db_hl(ear, frequency_hz)))
        )
        return m.guess_rate + (1.0 - m.guess_rate - m.lapse_rate) * detect

    def presses(self, trial: Trial) -> list[float]:
        """Press times (s after the trial starts) for one trial."""
        m, rng = self.model, self.rng
        end = trial.window_s[1]
        count = rng.poisson(m.false_press_rate_per_s * end)
        times = list(rng.uniform(0.0, end, count))
        # a catch trial sounds like a tone too soft to hear: only a guess answers it
        p = (
            m.guess_rate
            if trial.catch
            else self.p_heard(trial.ear, trial.frequency_hz, trial.level_db_hl)
        )
        if rng.random() < p:
            reaction = m.reaction_s * math.exp(m.reaction_spread * rng.standard_normal())
            times.append(trial.onset_s + min(max(reaction, 0.15), trial.options.tone_s + 0.9))
        return sorted(times)


def run_simulated_check(
    simulated: SimulatedListener,
    max_level_db_hl: Callable[[float], float],
    options: CheckOptions | None = None,
    on_trial: Callable[[Trial, list[float]], None] | None = None,
) -> CheckResult:
    """The whole check answered by `simulated`; `on_trial(trial, presses)` sees every trial."""
    check = HearingCheck(max_level_db_hl, options)
    while not check.finished:
        trial = check.next_trial()
        presses = simulated.presses(trial)
        if on_trial is not None:
            on_trial(trial, presses)
        check.answer(trial, presses)
    return check.result()


def offset_listener(
    name: str, seed: int, spread_db: float = 5.0, limit_db: float = 10.0
) -> Listener:
    """A Bisgaard preset with random offsets per frequency and ear (normal, `spread_db`, cut at
    +-`limit_db`), with an 8 kHz threshold equal to 6 kHz plus an offset of its own."""
    base = preset(name).left
    rng = np.random.default_rng(seed)
    frequencies = [*base.frequencies_hz, 8000.0]
    levels = [*base.levels_db_hl, base.levels_db_hl[-1]]
    ears = []
    for _ in range(2):
        offsets = np.clip(rng.normal(0.0, spread_db, len(levels)), -limit_db, limit_db)
        ears.append(
            Audiogram(
                tuple(frequencies),
                tuple(
                    float(np.clip(v + o, -10.0, 120.0))
                    for v, o in zip(levels, offsets, strict=True)
                ),
            )
        )
    return Listener(ears[0], ears[1], name=f"{name}+offsets#{seed}")
