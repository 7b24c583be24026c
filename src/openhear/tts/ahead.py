"""Synthesis kept ahead of playback, so a sound card never waits for the next sentence.

The sinks themselves (file, raw PCM, sound card) are in openhear.audio.sinks.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

STOP_WAIT_S = 2.0
"""How long closing `made_ahead` early waits for its producer to finish the item it is making.

A sentence's synthesis takes well under this. A producer still busy after it (one blocked reading
typed text from stdin) is left to end by itself: it is a daemon thread and makes nothing more.
"""


def made_ahead(items: Iterable[T], ahead: int = 2) -> Iterator[T]:
    """Iterate `items` on a background thread, at most `ahead` items ahead of the consumer.

    A sound card's write blocks while it plays; synthesizing the next sentence on that same thread
    would insert its synthesis time as a gap. Errors in the producer are raised in the consumer.
    A consumer that stops early (closes this generator, or an error ends its loop) stops the
    producer after its current item: closing waits for that (up to STOP_WAIT_S), and `items` is
    closed on the producer's thread. So no synthesis is left running in native code when the
    consumer moves on, or when the interpreter exits (Python 3.11 ends a daemon thread that wakes
    during finalization with pthread_exit, which aborts the process inside onnxruntime's C++).
    """
    handoff: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()
    source = iter(items)

    def put(message: tuple) -> bool:
        while not stop.is_set():
            try:
                handoff.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source:
                if not put(("item", item)):
                    return
        except BaseException as exc:  # handed to the consumer
            put(("error", exc))
            return
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        put(("done", None))

    producer = threading.Thread(target=produce, daemon=True, name="openhear-synthesize")
    producer.start()
    try:
        while True:
            kind, item = handoff.get()
            if kind == "done":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        producer.join(STOP_WAIT_S)
