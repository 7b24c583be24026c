"""Synthesis kept ahead of playback, so a sound card never waits for the next sentence.

The sinks themselves (file, raw PCM, sound card) are in openhear.audio.sinks.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def made_ahead(items: Iterable[T], ahead: int = 2) -> Iterator[T]:
    """Iterate `items` on a background thread, at most `ahead` items ahead of the consumer.

    A sound card's write blocks while it plays; synthesizing the next sentence on that same thread
    would insert its synthesis time as a gap. Errors in the producer are raised in the consumer;
    a consumer that stops early stops the producer after its current item.
    """
    handoff: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()

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
            for item in items:
                if not put(("item", item)):
                    return
        except BaseException as exc:  # handed to the consumer
            put(("error", exc))
            return
        put(("done", None))

    threading.Thread(target=produce, daemon=True, name="openhear-synthesize").start()
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
