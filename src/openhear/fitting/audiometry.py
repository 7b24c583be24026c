"""Pure-tone audiometry as a pure procedure: a state machine that asks for tones and takes answers.

The terminal (`openhear hearing-test`), the tests' simulated listeners and the benchmark all drive
the same `HearingCheck`: it hands out a `Trial` ("play f Hz at L dB HL in this ear, the tone
starting `onset_s` after the trial begins"), and takes the times of the listener's key presses in
that trial. It does no I/O and keeps no clock; timing is data.

Procedure (per ear): 1 kHz first, then 2, 4 and 8 kHz, 1 kHz again (a retest), 500 and 250 Hz,
then 3 kHz and 6 kHz where the thresholds on either side differ by 20 dB or more. Each threshold is
found by the modified Hughson-Westlake method (Carhart and Jerger 1959; ASHA 2005): down 10 dB after
a response, up 5 dB after none, and the threshold is the lowest level heard on at least half of
the ascending presentations there, at least twice (two of three). The first tone of an ear is
40 dB HL; every later frequency starts 10 dB above the threshold just measured nearest to it. No
tone passes the frequency's cap (`Calibration.max_level_db_hl`): missed twice at the cap is "no
response". If the 1 kHz retest agrees within 5 dB the lower value counts; otherwise 1 kHz is
measured a third time and the median counts.

Timing: each trial waits a random 0.6 to 1.8 s, then plays 3 pulses of 200 ms (25 ms raised-cosine
ramps, 150 ms apart). A press from 0.1 s after the onset until 1 s after the tone ends is a
response; a press before that is a false response. About one trial in ten is a catch trial with no
tone, where any press is a false response. When a frequency had two false responses or more, and
at least a quarter of its trials had one, the listener is warned and that frequency is tested
again (once); a check whose false-response rate stays high is marked unreliable.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from openhear.errors import OpenhearError
from openhear.fitting.audiogram import MAX_LEVEL_DB_HL as AUDIOGRAM_MAX_DB_HL
from openhear.fitting.audiogram import Audiogram, Listener
from openhear.fitting.hearing_levels import FIRST_LEVEL_DB_HL, LEVEL_STEP_DB, MIN_LEVEL_DB_HL

SIDES = ("left", "right")
EAR_ORDER_HZ = (1000.0, 2000.0, 4000.0, 8000.0, 1000.0, 500.0, 250.0)
"""The frequencies of every ear, in test order (the second 1 kHz is the retest)."""
INTEROCTAVE_HZ = ((3000.0, 2000.0, 4000.0), (6000.0, 4000.0, 8000.0))
"""(frequency, below, above): tested when the thresholds below and above differ by
`INTEROCTAVE_GAP_DB` or more."""
INTEROCTAVE_GAP_DB = 20.0
"""A difference this large between neighbouring octaves calls for the frequency between them."""
RETEST_AGREEMENT_DB = 5.0
"""1 kHz test and retest within this: the lower counts; further apart: a third measurement."""
START_ABOVE_NEIGHBOUR_DB = 10.0
"""Later frequencies start this far above the nearest threshold measured: clearly audible, not
loud."""


@dataclass(frozen=True)
class CheckOptions:
    """How the check runs. The defaults are the procedure described in the module docstring."""

    first_ear: str = "right"
    """The ear tested first ("left" or "right"); test your better ear first if you know it."""
    step_down_db: float = 10.0
    """Level change after a response."""
    step_up_db: float = LEVEL_STEP_DB
    """Level change after no response (never more than 5 dB: a loud surprise is what we avoid)."""
    min_onset_s: float = 0.4
    """Shortest wait from the start of a trial to the tone."""
    max_onset_s: float = 1.2
    """Longest wait (the wait is random, so the listener cannot predict the tone)."""
    pulses: int = 3
    """Tone pulses per trial (a pulsed tone is easier to tell from tinnitus)."""
    pulse_s: float = 0.2
    """Length of a pulse, its ramps included."""
    gap_s: float = 0.1
    """Silence between pulses."""
    ramp_s: float = 0.025
    """Raised-cosine rise and fall of every pulse."""
    min_latency_s: float = 0.1
    """A press sooner than this after the onset is too fast to answer the tone: a false response."""
    grace_s: float = 0.7
    """Presses up to this long after the tone ends still answer it."""
    post_response_s: float = 0.3
    """After a response the trial ends this much later."""
    catch_probability: float = 0.08
    """Chance that a trial is a catch trial (no tone); never two in a row."""
    max_trials_per_frequency: int = 24
    """A search still unsettled after this many trials takes its best estimate (and says so)."""
    retest_false_rate: float = 0.25
    """A frequency with at least two false responses in this share of its trials is tested again."""
    unreliable_false_rate: float = 0.15
    """A check with more trials than this share holding a false response is marked unreliable."""
    unreliable_catch_rate: float = 0.3
    """... and so is one that answered more than this share of its catch trials ..."""
    unreliable_catch_min: int = 3
    """... when it answered at least this many (one or two can be a chance press)."""
    stop_false_rate: float = 0.3
    """After `stop_after_trials`, a check with false responses in this share of its trials stops:
    its thresholds would mean nothing."""
    stop_after_trials: int = 30
    """Trials before the check may stop for false responses."""
    seed: int | None = None
    """Seed of the random timing and catch trials (None: fresh each run)."""

    def __post_init__(self) -> None:
        if self.first_ear not in SIDES:
            raise OpenhearError(f"first ear must be left or right, got {self.first_ear!r}")
        if not 0 < self.step_up_db <= LEVEL_STEP_DB:
            raise OpenhearError(f"step up must be above 0 and at most {LEVEL_STEP_DB:g} dB")
        if not 0 < self.min_onset_s <= self.max_onset_s:
            raise OpenhearError("the onset range must be positive and ordered")
        if not 0 <= self.catch_probability < 0.5:
            raise OpenhearError("catch probability must be from 0 to 0.5")
        if self.min_latency_s + self.post_response_s + self.min_onset_s < self.tone_s:
            raise OpenhearError("a tone could still sound when the next trial starts")

    @property
    def tone_s(self) -> float:
        """Length of one trial's tone, first pulse onset to last pulse end."""
        return self.pulses * self.pulse_s + (self.pulses - 1) * self.gap_s


@dataclass(frozen=True)
class Trial:
    """One presentation: what to play, and when presses count as an answer."""

    number: int
    """1, 2, ... over the whole check."""
    search: int
    """Which threshold search it belongs to: 1, 2, ... (a frequency tested again is a new one)."""
    ear: str
    """"left" or "right"."""
    frequency_hz: float
    """Tone frequency."""
    level_db_hl: float
    """Tone level in dB HL (for a catch trial: the level the search is at; nothing is played)."""
    catch: bool
    """True: play nothing (a check for presses without a tone)."""
    onset_s: float
    """Tone onset after the trial starts (random)."""
    options: CheckOptions = field(repr=False)
    """The timing (pulses, ramps, response window)."""

    @property
    def window_s(self) -> tuple[float, float]:
        """From when to when (after the trial starts) a press answers the tone."""
        o = self.options
        return self.onset_s + o.min_latency_s, self.onset_s + o.tone_s + o.grace_s

    def first_response_s(self, press_times_s: Sequence[float]) -> float | None:
        """The first press inside the response window, if any."""
        start, end = self.window_s
        inside = [t for t in press_times_s if start <= t <= end]
        return min(inside) if inside else None

    def end_s(self, press_times_s: Sequence[float]) -> float:
        """When the trial is over: shortly after a response, else at the window's end."""
        first = self.first_response_s(press_times_s)
        return first + self.options.post_response_s if first is not None else self.window_s[1]

    def false_presses(self, press_times_s: Sequence[float]) -> int:
        """Presses that answer no tone: any in a catch trial, else those before the window."""
        if self.catch:
            return len(press_times_s)
        return sum(1 for t in press_times_s if t < self.window_s[0])


class ThresholdSearch:
    """Modified Hughson-Westlake at one frequency: a small state machine over levels."""

    def __init__(
        self,
        start_db_hl: float,
        max_db_hl: float,
        options: CheckOptions,
        min_db_hl: float = MIN_LEVEL_DB_HL,
    ) -> None:
        self.min_db_hl, self.max_db_hl, self.options = min_db_hl, max_db_hl, options
        self.level_db_hl = min(max(start_db_hl, min_db_hl), max_db_hl)
        """The level of the next presentation."""
        self.ascending = False
        """Whether the next presentation comes after a miss (or holds at the floor)."""
        self.presented: Counter[float] = Counter()
        """Ascending presentations per level."""
        self.heard: Counter[float] = Counter()
        """Responses to ascending presentations per level."""
        self.missed_at_cap = 0
        self.trials = 0
        self.done = False
        self.threshold_db_hl: float | None = None
        """The result; None with `done` is no response up to the cap."""
        self.settled = True
        """False when the trial limit ended the search before the rule was met."""

    def record(self, heard: bool) -> None:
        """Take the answer to a presentation at `level_db_hl` and choose the next level."""
        if self.done:
            raise OpenhearError("this frequency is already finished")
        level, o = self.level_db_hl, self.options
        self.trials += 1
        if self.ascending:
            self.presented[level] += 1
            self.heard[level] += heard
        if heard:
            met = [lv for lv, n in self.heard.items() if n >= 2 and 2 * n >= self.presented[lv]]
            if met:
                self._finish(min(met))
                return
            below = level - o.step_down_db
            self.level_db_hl = max(below, self.min_db_hl)
            self.ascending = below < self.min_db_hl
        else:
            if level >= self.max_db_hl:
                self.missed_at_cap += 1
                if self.missed_at_cap >= 2:
                    self._finish(None)
                    return
            self.level_db_hl = min(level + o.step_up_db, self.max_db_hl)
            self.ascending = True
        if self.trials >= o.max_trials_per_frequency:
            self._settle()

    def _finish(self, threshold: float | None) -> None:
        self.threshold_db_hl, self.done = threshold, True

    def _settle(self) -> None:
        """Best estimate when the rule was not met in time: the lowest level heard on at least
        half of its ascending presentations, else no response."""
        half = [lv for lv, n in self.heard.items() if n >= 1 and 2 * n >= self.presented[lv]]
        self.settled = False
        self._finish(min(half) if half else None)


@dataclass(frozen=True)
class Threshold:
    """The measured threshold of one ear at one frequency."""

    frequency_hz: float
    """Test frequency."""
    level_db_hl: float | None
    """Threshold, or None: no response up to `max_level_db_hl`."""
    max_level_db_hl: float
    """The loudest tone the check could play here (see hearing_levels)."""
    trials: int
    """Presentations it took (catch trials not counted)."""
    settled: bool = True
    """False when the trial limit ended the search (an estimate)."""

    @property
    def audiogram_db_hl(self) -> float:
        """The value written to the audiogram: the threshold, or for no response 5 dB above the
        cap (the threshold is at least that)."""
        if self.level_db_hl is not None:
            return self.level_db_hl
        return min(self.max_level_db_hl + LEVEL_STEP_DB, AUDIOGRAM_MAX_DB_HL)


@dataclass(frozen=True)
class EarResult:
    """Every threshold of one ear."""

    side: str
    """"left" or "right"."""
    thresholds: tuple[Threshold, ...]
    """One per frequency, ascending (1 kHz holds the combined test and retest)."""
    retest_db_hl: tuple[float | None, ...]
    """The 1 kHz measurements in order: test, retest (and a third when they disagreed)."""

    def audiogram(self) -> Audiogram:
        return Audiogram(
            tuple(t.frequency_hz for t in self.thresholds),
            tuple(t.audiogram_db_hl for t in self.thresholds),
        )

    def at(self, frequency_hz: float) -> Threshold:
        return next(t for t in self.thresholds if t.frequency_hz == frequency_hz)


@dataclass(frozen=True)
class CheckResult:
    """What a finished check found, and how far to trust it."""

    left: EarResult
    right: EarResult
    trials: int
    """Every trial, catch trials included."""
    catch_trials: int
    catch_answered: int
    """Catch trials with a press."""
    false_trials: int
    """Trials with at least one false response."""
    elapsed_s: float
    """Listening time: the sum of the trials' lengths."""
    warnings: tuple[str, ...]
    """What the listener was told during the check (false responses, retest disagreement)."""
    reliable: bool
    """False when false responses stayed frequent: the thresholds may be too good."""
    complete: bool = True
    """False when the check stopped early (too many false responses): no audiogram."""

    def ear(self, side: str) -> EarResult:
        return self.left if side == "left" else self.right

    @property
    def false_rate(self) -> float:
        return self.false_trials / self.trials if self.trials else 0.0

    def listener(self, name: str = "") -> Listener:
        """Both ears as an audiogram (what `openhear fit` reads)."""
        if not self.complete:
            raise OpenhearError("the hearing check did not finish, so there is no audiogram")
        return Listener(self.left.audiogram(), self.right.audiogram(), name=name)


@dataclass(frozen=True)
class Progress:
    """Where the check is, for the screen."""

    steps_done: int
    steps_planned: int
    """Frequencies to test over both ears as far as known now (3 and 6 kHz join when needed)."""
    ear: str
    frequency_hz: float
    elapsed_s: float

    @property
    def fraction(self) -> float:
        return self.steps_done / self.steps_planned if self.steps_planned else 1.0


@dataclass
class _Step:
    ear: str
    frequency_hz: float
    role: str
    """"test", "retest", "third" (1 kHz) or "interoctave"."""
    search: ThresholdSearch
    start_db_hl: float
    trials: int = 0
    false_trials: int = 0
    redone: bool = False


class HearingCheck:
    """The whole check of both ears. Call `next_trial`, play it, then `answer` it with the press
    times (seconds after the trial started), until `finished`; then `result()`.

    `max_level_db_hl(frequency_hz)` gives the cap at each frequency (`Calibration.max_level_db_hl`).
    """

    def __init__(
        self,
        max_level_db_hl: Callable[[float], float],
        options: CheckOptions | None = None,
    ) -> None:
        self.options = options or CheckOptions()
        self._max_level = max_level_db_hl
        self._rng = random.Random(self.options.seed)
        second = "left" if self.options.first_ear == "right" else "right"
        self._ears = (self.options.first_ear, second)
        self._plans: dict[str, list[tuple[float, str]]] = {
            side: [(f, "retest" if i == 4 else "test") for i, f in enumerate(EAR_ORDER_HZ)]
            for side in SIDES
        }
        self._measured: dict[str, list[tuple[float, str, ThresholdSearch]]] = {s: [] for s in SIDES}
        self._ear_index = 0
        self._plan_index = 0
        self._trials = self._catch = self._catch_answered = self._false_trials = 0
        self._elapsed_s = 0.0
        self._pending: Trial | None = None
        self._last_was_catch = False
        self._messages: list[str] = []
        self._stopped = ""
        self._searches = 0
        self._warnings: list[str] = []
        self._step: _Step | None = self._make_step()

    # --- driving ---------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self._step is None

    def next_trial(self) -> Trial:
        """The trial to play now (the same one until it is answered)."""
        if self._step is None:
            raise OpenhearError("the hearing check is finished")
        if self._pending is None:
            o, step = self.options, self._step
            catch = (
                not self._last_was_catch
                and step.trials > 0
                and self._rng.random() < o.catch_probability
            )
            onset = round(self._rng.uniform(o.min_onset_s, o.max_onset_s), 3)
            self._pending = Trial(
                self._trials + 1,
                self._searches,
                step.ear,
                step.frequency_hz,
                step.search.level_db_hl,
                catch,
                onset,
                o,
            )
        return self._pending

    def answer(self, trial: Trial, press_times_s: Sequence[float]) -> None:
        """The listener's presses during `trial` (seconds after it started, any order)."""
        if trial is not self._pending or self._step is None:
            raise OpenhearError("answer the trial the check gave last")
        presses = sorted(float(t) for t in press_times_s if math.isfinite(t) and t >= 0)
        step = self._step
        self._pending = None
        self._trials += 1
        step.trials += 1
        self._elapsed_s += trial.end_s(presses)
        false = trial.false_presses(presses) > 0
        self._false_trials += false
        step.false_trials += false
        self._last_was_catch = trial.catch
        if self._trials >= self.options.stop_after_trials and (
            self._false_trials >= self.options.stop_false_rate * self._trials
        ):
            self._stop(
                f"the check stopped: {self._false_trials} of {self._trials} trials had a press "
                "without a tone. Try again in a quiet room, and press only when you hear a tone"
            )
            return
        if trial.catch:
            self._catch += 1
            self._catch_answered += trial.first_response_s(presses) is not None
            return
        step.search.record(trial.first_response_s(presses) is not None)
        if step.search.done:
            self._end_step()

    def _stop(self, reason: str) -> None:
        self._stopped = reason
        self._messages.append(reason)
        self._step = None

    def messages(self) -> list[str]:
        """What to tell the listener now (taken: each message is returned once)."""
        out, self._messages = self._messages, []
        return out

    def progress(self) -> Progress:
        planned = sum(len(p) for p in self._plans.values())
        done = sum(len(m) for m in self._measured.values())
        step = self._step
        return Progress(
            done,
            planned,
            step.ear if step else self._ears[-1],
            step.frequency_hz if step else 0.0,
            self._elapsed_s,
        )

    def result(self) -> CheckResult:
        if self._step is not None:
            raise OpenhearError("the hearing check is not finished")
        o = self.options
        reliable = (
            not self._stopped
            and self._false_trials <= o.unreliable_false_rate * self._trials
            and (
                self._catch_answered < o.unreliable_catch_min
                or self._catch_answered <= o.unreliable_catch_rate * self._catch
            )
        )
        warnings = list(self._warnings)
        if self._stopped:
            warnings.append(self._stopped)
        elif not reliable:
            warnings.append(
                f"{self._false_trials} of {self._trials} trials had a press without a tone: "
                "the thresholds may be better than your hearing; take the check again in a quiet "
                "room, pressing only when you hear a tone"
            )
        return CheckResult(
            self._ear_result("left"),
            self._ear_result("right"),
            self._trials,
            self._catch,
            self._catch_answered,
            self._false_trials,
            round(self._elapsed_s, 1),
            tuple(warnings),
            reliable,
            not self._stopped,
        )

    # --- steps ---------------------------------------------------------------------------------
    def _make_step(self) -> _Step | None:
        while self._ear_index < len(self._ears):
            ear = self._ears[self._ear_index]
            plan = self._plans[ear]
            if self._plan_index == len(plan):
                self._add_interoctaves(ear)
            if self._plan_index < len(plan):
                frequency, role = plan[self._plan_index]
                start = self._start_level(ear, frequency)
                search = ThresholdSearch(start, self._max_level(frequency), self.options)
                self._searches += 1
                return _Step(ear, frequency, role, search, start)
            self._ear_index += 1
            self._plan_index = 0
        return None

    def _start_level(self, ear: str, frequency_hz: float) -> float:
        done = self._measured[ear]
        if not done:
            return FIRST_LEVEL_DB_HL
        nearest = min(done, key=lambda m: abs(math.log(m[0] / frequency_hz)))
        return self._value(nearest[2]) + START_ABOVE_NEIGHBOUR_DB

    def _value(self, search: ThresholdSearch) -> float:
        """A threshold as a number for comparisons (no response: 5 dB above the cap)."""
        if search.threshold_db_hl is not None:
            return search.threshold_db_hl
        return search.max_db_hl + LEVEL_STEP_DB

    def _end_step(self) -> None:
        step = self._step
        if step is None:
            raise RuntimeError("no step of the check is in progress")
        o = self.options
        if (
            not step.redone
            and step.false_trials >= 2
            and step.false_trials >= o.retest_false_rate * step.trials
        ):
            text = (
                f"You pressed {step.false_trials} times when no tone was playing. Press only when "
                f"you hear a tone, even a faint one. Testing {step.frequency_hz:g} Hz again."
            )
            self._messages.append(text)
            self._warnings.append(
                f"{step.ear} ear {step.frequency_hz:g} Hz tested again after "
                f"{step.false_trials} false responses"
            )
            search = ThresholdSearch(step.start_db_hl, step.search.max_db_hl, o)
            self._searches += 1
            self._step = _Step(step.ear, step.frequency_hz, step.role, search, step.start_db_hl)
            self._step.redone = True
            return
        self._measured[step.ear].append((step.frequency_hz, step.role, step.search))
        if step.role == "retest":
            self._check_retest(step.ear)
        self._plan_index += 1
        self._step = self._make_step()

    def _check_retest(self, ear: str) -> None:
        first, second = (self._value(s) for f, r, s in self._measured[ear] if f == 1000.0)
        if abs(first - second) > RETEST_AGREEMENT_DB:
            self._plans[ear].insert(self._plan_index + 1, (1000.0, "third"))
            self._warnings.append(
                f"{ear} ear 1 kHz test and retest differed by {abs(first - second):g} dB; "
                "measured a third time"
            )

    def _add_interoctaves(self, ear: str) -> None:
        values = {f: self._value(s) for f, r, s in self._measured[ear] if r == "test"}
        for frequency, below, above in INTEROCTAVE_HZ:
            wanted = abs(values[below] - values[above]) >= INTEROCTAVE_GAP_DB
            if wanted and all(f != frequency for f, _ in self._plans[ear]):
                self._plans[ear].append((frequency, "interoctave"))

    def _ear_result(self, side: str) -> EarResult:
        by_frequency: dict[float, list[ThresholdSearch]] = {}
        for frequency, _, search in self._measured[side]:
            by_frequency.setdefault(frequency, []).append(search)
        thresholds = []
        for frequency in sorted(by_frequency):
            searches = by_frequency[frequency]
            cap = searches[0].max_db_hl
            values = [self._value(s) for s in searches]
            # test and retest agreed: the lower; a third measurement: the median
            value = min(values) if len(values) < 3 else sorted(values)[1]
            thresholds.append(
                Threshold(
                    frequency,
                    value if value <= cap else None,
                    cap,
                    sum(s.trials for s in searches),
                    all(s.settled for s in searches),
                )
            )
        retest = tuple(s.threshold_db_hl for s in by_frequency.get(1000.0, []))
        return EarResult(side, tuple(thresholds), retest)
