"""Live captions watched for the person's name, on a thread of their own.

The sound-alert detector must not wait for Whisper (a decode takes a few tenths of a second), so
the microphone's blocks go to the detector at once and to the captioner through a bounded queue:
a slow captioner lags (or, past the bound, loses audio) alone and never delays an alarm.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable

from openhear.alerts.events import Alert
from openhear.alerts.words import WordSpotter
from openhear.asr.events import CaptionEvent
from openhear.asr.streaming import StreamingCaptioner
from openhear.audio.block import AudioBlock

MAX_QUEUED_BLOCKS = 1500
"""Blocks waiting for the captioner before new ones are dropped (30 s of 20 ms blocks)."""

log = logging.getLogger("openhear")


class CaptionWatcher:
    """Feeds blocks to a StreamingCaptioner on its own thread and passes every caption event
    (provisional and final) to a WordSpotter; `on_alert` is called (on that thread) for each alert.

    Lifecycle: `put` blocks (never blocks the caller), `close` at the end: it waits for the queued
    audio, flushes the captioner and re-raises an error the thread met.
    """

    def __init__(
        self,
        captioner: StreamingCaptioner,
        spotter: WordSpotter,
        on_alert: Callable[[Alert], None],
    ):
        self._captioner = captioner
        self._spotter = spotter
        self._on_alert = on_alert
        self._queue: queue.Queue[AudioBlock | None] = queue.Queue(maxsize=MAX_QUEUED_BLOCKS)
        self._error: BaseException | None = None
        self.dropped_s = 0.0
        """Audio lost because the captioner fell more than the queue behind, seconds."""
        self._thread = threading.Thread(target=self._run, name="openhear-captions", daemon=True)
        self._thread.start()

    def put(self, block: AudioBlock) -> None:
        """Queue a block for the captioner; drop it if the queue is full."""
        try:
            self._queue.put_nowait(block)
        except queue.Full:
            if not self.dropped_s:
                log.warning("captions fell 30 s behind; audio is skipped until they catch up")
            self.dropped_s += block.duration_s

    def close(self) -> None:
        """Caption what is queued, flush, and stop the thread."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        ended = False
        try:
            while (block := self._queue.get()) is not None:
                self._handle(self._captioner.feed(block))
            ended = True
            self._handle(self._captioner.flush())
        except BaseException as exc:  # handed to close(), which the main thread calls
            self._error = exc
            while not ended and self._queue.get() is not None:  # drain until close()
                pass

    def _handle(self, events: Iterable[CaptionEvent]) -> None:
        for event in events:
            for alert in self._spotter.update(event):
                self._on_alert(alert)
