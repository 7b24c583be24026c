"""The live amplifier's text command shell: `openhear amplify --live` reads typed lines such as
`boost 6` or `noise spectral` and moves the sliders of a running `LiveAmplifier`.

`run_live` opens the amplifier, starts it and reads control commands until `quit`, the end of
`duration_s`, or Ctrl-C; `control_loop` is the same loop over an amplifier already opened (tests
give it a stand-in stream).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from openhear.errors import DeviceError, OpenhearError
from openhear.fitting.adjustments import NOISE_KINDS, SLIDER_RANGES
from openhear.fitting.profile import FittingProfile
from openhear.live.amplifier import LiveAmplifier, LiveOptions

SLIDERS = {
    "boost": ("boost_db", float),
    "tone": ("tone_db", float),
    "balance": ("balance_db", float),
    "nr": ("noise_strength", float),
    "noise": ("noise_kind", str),
    "max": ("max_output_db_spl", float),
}
"""Typed control commands: `<name> <value>`, e.g. `boost 6`,
`noise spectral`, `nr 0.5`, `max 95`."""
FIRST_REPORT_S = 1.0
"""When to print the first status line (latency measured, dropouts so far) after starting."""
_STRENGTH = SLIDER_RANGES["noise_strength"]
HELP = (
    f"commands: boost DB | tone DB | balance DB | nr {_STRENGTH.low:g}..{_STRENGTH.high:g} | noise "
    f"{'|'.join(NOISE_KINDS)} | max DB_SPL | status | quit"
)
"""The shell's help line; the values' ranges are `fitting.adjustments.SLIDER_RANGES`, checked when
a command moves a slider."""


def parse_command(line: str) -> tuple[str, dict[str, Any] | None]:
    """A typed control line as (action, value): ("set", {field: value}), ("status", None), ("quit",
    None), ("help", None); an OpenhearError for anything else."""
    words = line.split()
    if not words:
        return ("help", None)
    name = words[0].lower()
    if name in ("quit", "q", "exit"):
        return ("quit", None)
    if name in ("status", "help"):
        return (name, None)
    if name not in SLIDERS:
        raise OpenhearError(f"unknown command {words[0]!r}; {HELP}")
    if len(words) != 2:
        raise OpenhearError(
            f"{name} needs one value, e.g. `{name} {'spectral' if name == 'noise' else '3'}`"
        )
    field, kind = SLIDERS[name]
    try:
        return ("set", {field: kind(words[1])})
    except ValueError:
        raise OpenhearError(f"{name} needs a number, got {words[1]!r}") from None


def command(amp: LiveAmplifier, line: str) -> str | None:
    """Carry out one typed control line on `amp`; the reply to show, or None for quit."""
    try:
        action, value = parse_command(line)
        if action == "quit":
            return None
        if action == "set" and value is not None:
            amp.set(**value)
            return amp.report()
        return amp.report() if action == "status" else HELP
    except OpenhearError as exc:
        return f"error: {exc}"


def _lines(control: Iterable[str], into: queue.Queue) -> None:
    for line in control:
        into.put(line)
    into.put(None)


def control_loop(
    amp: LiveAmplifier,
    control: Iterable[str],
    say: Callable[[str], None],
    duration_s: float | None = None,
) -> None:
    """Start the amplifier, apply typed commands until quit, the duration or
    Ctrl-C, then stop it."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(control, lines), daemon=True).start()
    deadline = None if duration_s is None else time.monotonic() + duration_s
    amp.start()
    try:
        say(
            f"amplifying at {amp.sample_rate} Hz; processing latency "
            f"{amp.processing_latency_ms:.1f} ms. {HELP}"
        )
        _serve(amp, lines, say, deadline)
    except KeyboardInterrupt:
        pass  # Ctrl-C is the normal way to stop: still report the statistics
    finally:
        amp.stop()
    say(amp.report())


def _serve(
    amp: LiveAmplifier, lines: queue.Queue, say: Callable[[str], None], deadline: float | None
) -> None:
    control_open = True
    first_report = time.monotonic() + FIRST_REPORT_S
    while deadline is None or time.monotonic() < deadline:
        if not amp.running:
            raise DeviceError("the audio stream stopped (a device went away or processing failed)")
        if first_report and time.monotonic() >= first_report:
            first_report = 0.0
            say(amp.report())  # by now the stream's time stamps give the measured device latency
        wait = 0.2 if deadline is None else max(0.0, min(0.2, deadline - time.monotonic()))
        if not control_open:
            time.sleep(wait)
            continue
        try:
            line = lines.get(timeout=wait)
        except queue.Empty:
            continue
        if line is None:
            control_open = False  # no more typed commands (stdin closed): keep amplifying
            continue
        reply = command(amp, line)
        if reply is None:
            return
        say(reply)


def run_live(
    profile: FittingProfile,
    options: LiveOptions,
    control: Iterable[str],
    say: Callable[[str], None] = print,
) -> LiveAmplifier:
    """Amplify microphone to headphones until quit; a DeviceError when there is no usable device."""
    amp = LiveAmplifier.open(profile, options)
    control_loop(amp, control, say, options.duration_s)
    return amp
