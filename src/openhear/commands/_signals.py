"""Ctrl-C and SIGTERM end a live stream by asking it to stop, not by raising in the middle of it.

A KeyboardInterrupt raised asynchronously can land anywhere, including inside soundcard's
PulseAudio calls between taking and giving back the mainloop lock: the recorder's close then waits
forever for a mainloop that can no longer run (`caption --system` once hung after Ctrl-C in a
loaded CI run). Here the first signal only calls `stop`: the source ends after the block it is on
and the command commits what was heard. A second Ctrl-C still interrupts at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""The signals that end a live stream."""


@contextmanager
def stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM call `stop` (any number of times); a second SIGINT raises
    KeyboardInterrupt. The previous handlers come back on exit. Off the main thread (where Python
    cannot set handlers) signals keep their usual meaning."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stopping = True
        stop()

    previous = {s: signal.signal(s, on_signal) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
