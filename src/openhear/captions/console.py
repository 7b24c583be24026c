"""Live captions on a console: final text appended as it is committed, a line per sentence, and
on a terminal the provisional text shown dimmed after it and rewritten in place."""

from __future__ import annotations

import shutil
from typing import TextIO

from openhear.asr.events import CaptionEvent, FinalCaption, ends_sentence


class ConsoleCaptions:
    """Prints caption events as they come.

    Final text is written the moment it is committed and a line ends at each sentence end, so a
    reader sees sentences and a program reading the pipe gets every word at once. On a terminal the
    provisional caption follows the final text in dim type and is redrawn in place; piped output
    holds final text only. With `timestamps`, every event is a line of its own with its times
    (what `--realtime` prints).
    """

    def __init__(self, stream: TextIO, interactive: bool, timestamps: bool = False):
        self._stream = stream
        self._interactive = interactive
        self._timestamps = timestamps
        self._line = ""
        self._provisional = ""

    def show(self, event: CaptionEvent, emitted_s: float | None = None) -> None:
        """Print one event; `emitted_s` (when given) is printed with it, for latency runs."""
        if self._timestamps or emitted_s is not None:
            self._timed(event, emitted_s)
        elif isinstance(event, FinalCaption):
            self._final(event.text)
        else:
            self._provisional = event.text
            self._redraw()
        self._stream.flush()

    def close(self) -> None:
        """End the last line."""
        self._provisional = ""
        self._redraw()
        if self._line:
            self._stream.write("\n")
            self._line = ""
        self._stream.flush()

    def _final(self, text: str) -> None:
        if not text:
            return
        self._provisional = ""  # stale: the provisional caption that follows replaces it
        piece = f" {text}" if self._line else text
        self._line += piece
        if self._interactive:
            self._redraw()
        else:
            self._stream.write(piece)
        if ends_sentence(text) or (self._interactive and len(self._line) > self._width() - 20):
            self._stream.write("\n")
            self._line = ""

    def _redraw(self) -> None:
        if not self._interactive:
            return
        tail = ""
        if self._provisional:
            room = max(
                10, self._width() - len(self._line) - 1
            )  # one screen line, so \r can rewrite it
            tail = f"{' ' if self._line else ''}\033[2m{self._provisional[-room:]}\033[0m"
        self._stream.write(f"\r\033[K{self._line}{tail}")

    def _width(self) -> int:
        return shutil.get_terminal_size().columns - 1

    def _timed(self, event: CaptionEvent, emitted_s: float | None) -> None:
        stamp = f"[{emitted_s:.3f}s] " if emitted_s is not None else ""
        kind = "final" if isinstance(event, FinalCaption) else "provisional"
        self._stream.write(f"{stamp}{kind} {event.start_s:.2f}-{event.end_s:.2f} {event.text}\n")
