"""Running the hearing check live: the procedure's trials played on the headphones, key presses
timed against them.

`run_hearing_check` drives a `fitting.audiometry.HearingCheck` with a `TonePlayer` and a source of
presses (`Presses`: the terminal's keys, or a test's listener), and reports progress through
`say`, never when a tone plays. A press source owns the clock: `now()` and `wait(deadline)`.
"""

from __future__ import annotations

import os
import queue
import select
import threading
import time
from collections.abc import Callable
from typing import IO, Protocol

import numpy as np

from openhear.dsp.tones import trial_tone
from openhear.errors import OpenhearError
from openhear.fitting.audiometry import CheckResult, HearingCheck, Trial
from openhear.fitting.hearing_levels import Calibration
from openhear.live.tone_player import TonePlayer

RESPOND, STOP = "respond", "stop"
RESPOND_KEYS = (" ", "\n", "\r")
"""Space or Enter: "I hear a tone"."""
STOP_KEYS = ("q", "Q", "\x1b")
"""q or Esc: stop now (silence at once)."""


class Presses(Protocol):
    """Where presses come from, and the clock they are timed on (seconds)."""

    def now(self) -> float: ...

    def wait(self, deadline_s: float) -> list[tuple[float, str]]:
        """Block until a press comes or `deadline_s`; the presses so far as (time, RESPOND|STOP)."""
        ...


def run_hearing_check(
    check: HearingCheck,
    calibration: Calibration,
    player: TonePlayer,
    presses: Presses,
    say: Callable[[str], None],
) -> CheckResult | None:
    """Play the check to the end; None when the listener stopped it (the sound is already off)."""
    announced = None
    while not check.finished:
        trial = check.next_trial()
        if trial.search != announced:
            announced = trial.search
            say(_progress_line(check))
        tone = None if trial.catch else trial_tone(trial, calibration, player.sample_rate)
        times = _run_trial(trial, tone, player, presses)
        if times is None:
            player.silence()
            return None
        check.answer(trial, times)
        for message in check.messages():
            say(message)
    return check.result()


def _progress_line(check: HearingCheck) -> str:
    p = check.progress()
    minutes, seconds = divmod(int(p.elapsed_s), 60)
    return (
        f"{p.ear} ear, {p.frequency_hz / 1000:g} kHz  "
        f"[{p.steps_done + 1} of {p.steps_planned}, {minutes}:{seconds:02d}]"
    )


def _run_trial(
    trial: Trial, tone: np.ndarray | None, player: TonePlayer, presses: Presses
) -> list[float] | None:
    """The press times of one trial, relative to its start as the listener heard it; None: stop."""
    pressed: list[float] = []  # on the press source's clock

    def collect(deadline: float) -> bool:
        for at, kind in presses.wait(deadline):
            if kind == STOP:
                return False
            pressed.append(at)
        return True

    onset = presses.now() + trial.onset_s
    while presses.now() < onset:
        if not collect(onset):
            return None
    handed_over = presses.now()
    if tone is not None:
        player.play(tone)
    # the tone reaches the ear `latency_s` after it is handed over: that is the trial's onset
    origin = handed_over + player.latency_s - trial.onset_s
    end = origin + trial.window_s[1]
    while presses.now() < end:
        if not collect(end):
            return None
        first = trial.first_response_s([t - origin for t in pressed])
        if first is not None:
            end = min(end, origin + first + trial.options.post_response_s)
    return [t - origin for t in pressed]


class TerminalKeys:
    """Key presses from a terminal in cbreak mode, time-stamped by a reader thread as they come.
    A stop key calls `on_stop` from that thread at once, before anything else sees it."""

    def __init__(self, stream: IO[str], on_stop: Callable[[], None] = lambda: None) -> None:
        import termios
        import tty

        try:
            self._fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = -1
        if self._fd < 0 or not os.isatty(self._fd):
            raise OpenhearError(
                "the hearing check reads your key presses: run it in a terminal (not a pipe)"
            )
        self._on_stop = on_stop
        self._events: queue.Queue[tuple[float, str]] = queue.Queue()
        self._saved = termios.tcgetattr(self._fd)
        tty.setcbreak(self._fd)
        self._open = True
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while self._open:
            ready, _, _ = select.select([self._fd], [], [], 0.1)
            if not ready:
                continue
            at = time.monotonic()
            try:
                key = os.read(self._fd, 1).decode("utf-8", "replace")
            except OSError:
                return
            if key in STOP_KEYS:
                self._on_stop()
                self._events.put((at, STOP))
            elif key in RESPOND_KEYS:
                self._events.put((at, RESPOND))

    def now(self) -> float:
        return time.monotonic()

    def wait(self, deadline_s: float) -> list[tuple[float, str]]:
        try:
            first = self._events.get(timeout=max(0.0, deadline_s - time.monotonic()))
        except queue.Empty:
            return []
        events = [first]
        while not self._events.empty():
            events.append(self._events.get_nowait())
        return events

    def wait_for_key(self) -> str:
        """Block until any response or stop key; returns RESPOND or STOP."""
        while True:
            events = self.wait(time.monotonic() + 3600.0)
            if events:
                return events[-1][1]

    def close(self) -> None:
        import termios

        self._open = False
        termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
