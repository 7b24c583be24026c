"""Alerts on a console: one timestamped line each, or JSON lines for scripts.

On a terminal a life-safety alert rings the terminal bell and is shown in reverse video, so it
stands out (and a terminal set to flash on the bell flashes). Safe to call from several threads.
"""

from __future__ import annotations

import json
import threading
import time
from typing import TextIO

from openhear.alerts.events import Alert, Priority

BELL = "\a"
REVERSE = "\033[7m"
BOLD = "\033[1m"
RESET = "\033[0m"


def stream_time(seconds: float) -> str:
    """Seconds as m:ss.s (h:mm:ss.s past an hour)."""
    minutes, s = divmod(max(0.0, seconds), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{s:04.1f}" if hours else f"{minutes}:{s:04.1f}"


class AlertConsole:
    """Prints alerts as they come.

    `interactive` (a terminal): bell and reverse video for life-safety alerts, bold for urgent.
    `json_lines`: one JSON object per alert (Alert.to_dict, plus the wall-clock time), no styling.
    `wall_clock`: stamp lines with the local time (live input) rather than the stream time (files).
    """

    def __init__(
        self, stream: TextIO, interactive: bool, json_lines: bool = False, wall_clock: bool = False
    ):
        self._stream = stream
        self._interactive = interactive and not json_lines
        self._json = json_lines
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self.count = 0
        """Alerts shown so far."""

    def show(self, alert: Alert) -> None:
        """Print one alert (and flush, so a reader sees it at once)."""
        with self._lock:
            self._stream.write(self._format(alert) + "\n")
            self._stream.flush()
            self.count += 1

    def _format(self, alert: Alert) -> str:
        if self._json:
            record = {"type": "alert", **alert.to_dict()}
            if self._wall_clock:
                record["wall_time"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            return json.dumps(record)
        stamp = time.strftime("%H:%M:%S") if self._wall_clock else stream_time(alert.time_s)
        label = alert.label.upper() if alert.life_safety else alert.label
        how = f"{alert.source}: {alert.detail}" if alert.detail else alert.source
        if alert.source == "classifier":
            how += f" {alert.score:.2f}"
        line = f"[{stamp}] {label}  ({how})"
        if not self._interactive:
            return line
        if alert.life_safety:
            return f"{BELL}{REVERSE}{line}{RESET}"
        if alert.priority >= Priority.URGENT:
            return f"{BOLD}{line}{RESET}"
        return line
