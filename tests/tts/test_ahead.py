"""made_ahead: order kept, errors passed on, bounded lookahead, an early stop stops the producer."""

from __future__ import annotations

import threading
import time

import pytest

from openhear.tts.ahead import made_ahead


def test_items_arrive_in_order():
    assert list(made_ahead(range(100), ahead=3)) == list(range(100))


def test_a_producer_error_is_raised_in_the_consumer():
    def broken():
        yield 1
        raise ValueError("voice broke")

    got = []
    with pytest.raises(ValueError, match="voice broke"):
        for item in made_ahead(broken()):
            got.append(item)
    assert got == [1]


def test_the_producer_runs_at_most_ahead_items_ahead_and_stops_when_the_consumer_does():
    made = []
    finished = threading.Event()

    def produce():
        try:
            for i in range(1000):
                made.append(i)
                yield i
        finally:
            finished.set()

    items = made_ahead(produce(), ahead=2)
    assert next(items) == 0
    deadline = time.monotonic() + 5
    while len(made) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    assert len(made) == 4  # one consumed, two queued, one waiting to be queued
    items.close()
    assert finished.wait(5)
    assert len(made) <= 5
