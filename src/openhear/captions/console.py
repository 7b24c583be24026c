"""Live captions on a console: final lines appended, the provisional line rewritten in place on a terminal."""

from __future__ import annotations

import shutil
from typing import TextIO

from openhear.asr.events import CaptionEvent, FinalCaption


class ConsoleCaptions:
    """Prints caption events as they come.

    Final captions are printed one per line as committed. On a terminal the provisional caption is
    shown after them and rewritten in place; when output is piped only final text is written, so
    the output is the clean transcript.
    """

    def __init__(self, stream: TextIO, interactive: bool, timestamps: bool = False):
        self._stream = stream
        self._interactive = interactive
        self._timestamps = timestamps
        self._provisional = ""

    def show(self, event: CaptionEvent, emitted_s: float | None = None) -> None:
        """Print one event; `emitted_s` (when given) is printed with it, for latency runs."""
        stamp = f"[{emitted_s:.3f}s] " if emitted_s is not None else ""
        span = f"{event.start_s:.2f}-{event.end_s:.2f} " if self._timestamps else ""
        if isinstance(event, FinalCaption):
            self._clear()
            self._provisional = ""  # stale: the provisional caption that follows replaces it
            self._stream.write(f"{stamp}{'final ' if stamp else ''}{span}{event.text}\n")
        elif emitted_s is not None:
            self._stream.write(f"{stamp}provisional {span}{event.text}\n")
        else:
            self._clear()
            self._provisional = event.text
            self._redraw()
        self._stream.flush()

    def close(self) -> None:
        """Leave the terminal on a clean line."""
        self._clear()
        self._provisional = ""
        self._stream.flush()

    def _clear(self) -> None:
        if self._interactive and self._provisional:
            self._stream.write("\r\033[K")

    def _redraw(self) -> None:
        if self._interactive and self._provisional:
            width = shutil.get_terminal_size().columns - 1  # one screen line, so \r can rewrite it
            self._stream.write(f"\033[2m{self._provisional[-width:]}\033[0m")
