"""Ctrl-C and SIGTERM ask a live stream to stop instead of raising inside it (commands.signals)."""

import os
import signal
import threading

import pytest

from openhear.commands._signals import stop_on_signals


def test_the_first_signal_stops_the_stream_and_a_second_ctrl_c_interrupts():
    stops: list[int] = []
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        with stop_on_signals(lambda: stops.append(1)):
            os.kill(os.getpid(), signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGTERM)  # SIGTERM again only asks again
            assert len(stops) == 2
            os.kill(os.getpid(), signal.SIGINT)  # the user insists: interrupt at once
            pytest.fail("a second Ctrl-C did not interrupt")
    assert len(stops) == 2
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_a_single_ctrl_c_does_not_raise():
    stops: list[int] = []
    with stop_on_signals(lambda: stops.append(1)):
        os.kill(os.getpid(), signal.SIGINT)
    assert stops == [1]


def test_off_the_main_thread_handlers_are_left_alone():
    seen: list[object] = []

    def run() -> None:
        with stop_on_signals(lambda: None):
            seen.append(signal.getsignal(signal.SIGINT))

    before = signal.getsignal(signal.SIGINT)
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen == [before]
