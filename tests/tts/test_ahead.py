"""made_ahead: order kept, errors passed on, bounded lookahead, an early stop stops the producer."""

from __future__ import annotations

import threading
import time

import pytest

from openhear.tts import ahead
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
    closed_on = []

    def produce():
        try:
            for i in range(1000):
                made.append(i)
                yield i
        finally:
            closed_on.append(threading.current_thread())
            finished.set()

    items = made_ahead(produce(), ahead=2)
    assert next(items) == 0
    deadline = time.monotonic() + 5
    while len(made) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    assert len(made) == 4  # one consumed, two queued, one waiting to be queued
    items.close()
    assert finished.is_set()  # close waited for the producer: nothing is left running
    assert closed_on[0] is not threading.current_thread()  # closed by the producer, where it ran
    assert len(made) <= 5


def test_closing_does_not_hang_on_a_producer_blocked_on_input(monkeypatch):
    """A producer waiting for input (typed text) is left behind after STOP_WAIT_S."""
    monkeypatch.setattr(ahead, "STOP_WAIT_S", 0.1)
    typed = threading.Event()

    def lines():
        yield "first line"
        typed.wait()  # the typist never types again
        yield "second line"

    items = made_ahead(lines())
    assert next(items) == "first line"
    items.close()
    typed.set()
