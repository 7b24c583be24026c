"""Typed replies arriving while the other person talks: read on their own thread, spoken on another.

`read_replies` turns lines (stdin, or a script file) into `TypedReply` items; a line may start with
`[SECONDS]` to be sent when the conversation reaches that time (for scripted, repeatable runs).
`ReplyPlayer` speaks replies one after another on a sink (the sound card), so synthesis and
playback never wait for the captioner.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from openhear.audio.block import AudioBlock
from openhear.audio.sinks import Sink
from openhear.relay.session import Reply
from openhear.tts.ahead import made_ahead
from openhear.tts.text import TextError

_TIMED = re.compile(r"^\[\s*(\d+(?:\.\d*)?)\s*\]\s*(.*)$")


@dataclass(frozen=True)
class TypedReply:
    """One line the user typed (or scripted)."""

    text: str
    """The words to speak."""
    at_s: float | None = None
    """Conversation time to send it at (scripted runs); None: as soon as it is read."""


def parse_reply_line(line: str) -> TypedReply | None:
    """A line as a reply ("[12.5] text" is timed); None for a blank line."""
    line = line.strip()
    match = _TIMED.match(line)
    if match:
        return (
            TypedReply(match.group(2).strip(), float(match.group(1)))
            if match.group(2).strip()
            else None
        )
    return TypedReply(line) if line else None


def read_replies(stream: BinaryIO) -> Iterator[TypedReply]:
    """Replies from a UTF-8 byte stream, one per line, each yielded as soon as
    its line is complete."""
    for number, raw in enumerate(iter(stream.readline, b""), 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TextError(
                f"typed replies are not valid UTF-8 (line {number}, byte {exc.start + 1})"
            ) from None
        reply = parse_reply_line(line)
        if reply is not None:
            yield reply


class ReplyReader:
    """Reads replies on a background thread; the main loop takes those that are due with `due`."""

    def __init__(
        self, replies: Iterator[TypedReply], on_reply: Callable[[TypedReply], None] | None = None
    ):
        """`on_reply`, if given, is called on the reader thread for every
        untimed reply (live use)."""
        self._queue: queue.Queue = queue.Queue(maxsize=64)
        self._next: TypedReply | None = None
        self._finished = False
        self._error: BaseException | None = None
        self._on_reply = on_reply
        self._thread = threading.Thread(
            target=self._read, args=(replies,), daemon=True, name="openhear-replies"
        )
        self._thread.start()

    def _read(self, replies: Iterator[TypedReply]) -> None:
        try:
            for reply in replies:
                if self._on_reply is not None and reply.at_s is None:
                    self._on_reply(reply)
                else:
                    self._queue.put(reply)
        except BaseException as exc:  # reported on the main thread by `due`
            self._error = exc
        finally:
            self._queue.put(None)

    def due(self, now_s: float, wait: bool = False) -> Iterator[TypedReply]:
        """Replies whose time has come (untimed ones at once); with `wait`, all of them
        until the input ends."""
        while not self._finished:
            if self._next is None:
                try:
                    self._next = self._queue.get(block=wait)
                except queue.Empty:
                    return
                if self._next is None:
                    self._finished = True
                    break
            if not wait and self._next.at_s is not None and self._next.at_s > now_s:
                return
            reply, self._next = self._next, None
            yield reply
        if self._error is not None:
            error, self._error = self._error, None
            raise error


class ReplyPlayer:
    """Speaks replies in order on a sink, on its own thread; `close` waits until all have played.

    Synthesis runs a sentence or two ahead of the sink (see openhear.tts.ahead.made_ahead), so
    sentences follow each other without a gap for synthesis. A reply that fails (its synthesis, or
    the sink while playing it) is cut short and reported; the replies after it are still spoken.
    """

    def __init__(
        self,
        sink: Sink,
        ahead_blocks: int = 2,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """`on_error`, if given, is called on the player's thread for each failed reply; without it
        `close` raises the first failure."""
        self._sink = sink
        self._ahead = ahead_blocks
        self._on_error = on_error
        self._replies: queue.Queue = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._play, daemon=True, name="openhear-play")
        self._thread.start()

    def speak(self, reply: Reply) -> None:
        """Queue a reply; it is synthesized and played after those before it."""
        self._replies.put(reply)

    def _blocks(self) -> Iterator[tuple[int, AudioBlock]]:
        """(reply number, block) for every reply queued; a reply whose
        synthesis fails ends there."""
        number = 0
        while (reply := self._replies.get()) is not None:
            number += 1
            try:
                for block in reply:
                    yield number, block
            except Exception as exc:
                self._failed(exc)

    def _play(self) -> None:
        failed = 0  # the reply the sink failed on: its other blocks are dropped
        for number, block in made_ahead(self._blocks(), self._ahead):
            if number == failed:
                continue
            try:
                self._sink.write(block)
            except Exception as exc:
                failed = number
                self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        if self._on_error is not None:
            self._on_error(exc)
        elif self._error is None:
            self._error = exc

    def close(self) -> None:
        """Play what is queued, release the sink, and (without `on_error`)
        raise the first failure."""
        self._replies.put(None)
        self._thread.join()
        self._sink.close()
        if self._error is not None:
            raise self._error
