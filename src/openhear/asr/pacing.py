"""Feeding recorded audio at real-time pace, as a microphone would, and timing each event.

Emission times are seconds since the stream started, on the same scale as the audio times of the
words, so `emitted_s - word.end_s` is the caption latency a listener would see. A VirtualClock
gives the same figures without the waiting: it skips idle time but counts compute time; a
CpuClock counts only this process's CPU time (a dedicated core).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator

from openhear.asr.events import CaptionEvent
from openhear.asr.streaming import StreamingCaptioner
from openhear.audio.block import AudioBlock


class WallClock:
    """Real time."""

    now: Callable[[], float] = staticmethod(time.perf_counter)
    sleep: Callable[[float], None] = staticmethod(time.sleep)


class VirtualClock:
    """Real time for computing, instant for waiting: sleeping moves the clock
    without spending time."""

    def __init__(self) -> None:
        self._skipped = 0.0

    def now(self) -> float:
        return time.perf_counter() + self._skipped

    def sleep(self, seconds: float) -> None:
        self._skipped += max(0.0, seconds)


class CpuClock(VirtualClock):
    """Like VirtualClock, but compute counts as the CPU time this process used: what a dedicated
    core would take, without the waiting for other programs that a shared machine adds."""

    def now(self) -> float:
        return time.process_time() + self._skipped


def paced_blocks(
    blocks: Iterable[AudioBlock],
    clock: WallClock | VirtualClock | None = None,
    start: float | None = None,
) -> Iterator[AudioBlock]:
    """Yield each block when its last sample would have been recorded, counting
    from `start` on `clock`."""
    clock = clock or WallClock()
    start = clock.now() if start is None else start
    for block in blocks:
        wait = start + block.end_s - clock.now()
        if wait > 0:
            clock.sleep(wait)
        yield block


def paced_events(
    captioner: StreamingCaptioner,
    blocks: Iterable[AudioBlock],
    clock: WallClock | VirtualClock | None = None,
) -> Iterator[tuple[float, CaptionEvent]]:
    """Feed each block when its last sample would have been recorded; yield (emitted_s, event).

    If captioning falls behind, blocks wait as they would in a sound card's queue, so the delay
    shows in the emission times. The stream is flushed at the end.
    """
    clock = clock or WallClock()
    start = clock.now()
    for block in paced_blocks(blocks, clock, start):
        for event in captioner.feed(block):
            yield clock.now() - start, event
    for event in captioner.flush():
        yield clock.now() - start, event
