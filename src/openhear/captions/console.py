"""Live captions on a console: final text appended as it is committed, a line per sentence, and
on a terminal the provisional text shown dimmed after it and rewritten in place.

A pause is not a sentence end (openhear.asr.sentences): a fragment's closing full stop is
held back until the next fragment shows whether the sentence goes on (lower case: the stop was
invented and is never printed) or not (the stop and the line break are printed then)."""

from __future__ import annotations

import shutil
from typing import TextIO

from openhear.asr.events import CaptionEvent, FinalCaption, RevisedCaption, ends_sentence
from openhear.asr.sentences import drop_invented_stop, goes_on


class ConsoleCaptions:
    """Prints caption events as they come.

    Final text is written the moment it is committed and a line ends at each sentence end, so a
    reader sees sentences and a program reading the pipe gets every word at once. On a terminal the
    provisional caption follows the final text in dim type and is redrawn in place; piped output
    holds final text only. With `timestamps`, every event is a line of its own with its times
    (what `--realtime` prints), revisions too; otherwise revisions are not shown: text already
    printed cannot be taken back (exports and stored transcripts hold the revised text). With
    `show_language` (a model that identifies the language of each utterance), a final caption in
    another language than the one before starts with its code in brackets ("[fr] Bonjour.").
    """

    def __init__(
        self,
        stream: TextIO,
        interactive: bool,
        timestamps: bool = False,
        show_language: bool = False,
    ):
        self._stream = stream
        self._interactive = interactive
        self._timestamps = timestamps
        self._show_language = show_language
        self._language = ""
        self._line = ""
        """The current line as shown (on a terminal) or written (piped), held stop included."""
        self._held = ""
        """The stop at the end of `_line` not yet written (piped output)."""
        self._provisional = ""

    def show(self, event: CaptionEvent, emitted_s: float | None = None) -> None:
        """Print one event; `emitted_s` (when given) is printed with it, for latency runs."""
        if self._timestamps or emitted_s is not None:
            self._timed(event, emitted_s)
        elif isinstance(event, FinalCaption):
            self._final(self._tagged(event))
        elif isinstance(event, RevisedCaption):
            return
        else:
            self._provisional = event.text
            self._redraw()
        self._stream.flush()

    def close(self) -> None:
        """End the last line."""
        self._provisional = ""
        self._redraw()
        if self._line:
            self._break_line()
        self._stream.flush()

    def _break_line(self) -> None:
        self._stream.write(("" if self._interactive else self._held) + "\n")
        self._line = self._held = ""

    def _final(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        self._provisional = ""  # stale: the provisional caption that follows replaces it
        if self._line and not goes_on(self._line, text):
            self._break_line()
        elif self._line and ends_sentence(self._line):
            self._line, self._held = drop_invented_stop(self._line), ""  # it was invented
        piece = f" {text}" if self._line else text
        self._line += piece
        if self._interactive:
            self._redraw()
        else:
            kept = drop_invented_stop(piece)
            self._held = piece[len(kept) :] if ends_sentence(piece) else ""
            self._stream.write(piece[: len(piece) - len(self._held)])
        if ends_sentence(text) and not self._held and not self._interactive:
            self._break_line()  # a question or exclamation mark: the sentence did end
        elif self._interactive and len(self._line) > self._width() - 20:
            self._stream.write("\n")
            self._line = ""

    def _tagged(self, event: FinalCaption) -> str:
        """The final's text, after its language code when that changed and is to be shown."""
        if not (self._show_language and event.text and event.language):
            return event.text
        changed, self._language = event.language != self._language, event.language
        return f"[{event.language}] {event.text}" if changed else event.text

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
        kind = (
            "final"
            if isinstance(event, FinalCaption)
            else "revision"
            if isinstance(event, RevisedCaption)
            else "provisional"
        )
        if self._show_language and event.language:
            kind += f" [{event.language}]"
        self._stream.write(f"{stamp}{kind} {event.start_s:.2f}-{event.end_s:.2f} {event.text}\n")
