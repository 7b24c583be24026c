"""Echo suppression: our own spoken reply, heard back by the microphone, must not be captioned as
theirs.

While a reply plays (and for a short tail after, covering the sound card's output and input
latency and the room's reverberation) the caption input is replaced by silence. The captioner
still receives every sample, so its clock stays aligned with the conversation's. Half-duplex
like this is what relay phones do; the cost is that the other person is not captioned while
they talk over our reply.
"""

from __future__ import annotations

import threading

import numpy as np

from openhear.audio.block import AudioBlock


class EchoGate:
    """Spans of conversation time during which the caption input is silenced;
    safe across threads."""

    def __init__(self, tail_s: float = 0.5):
        self.tail_s = tail_s
        """Silence kept after the last reply sample, seconds."""
        self._spans: list[tuple[float, float]] = []
        self._playing_until_s = 0.0
        self._lock = threading.Lock()

    @property
    def playing_until_s(self) -> float:
        """Conversation time at which the queued reply audio will have finished playing."""
        return self._playing_until_s

    def playing(self, now_s: float, duration_s: float) -> None:
        """A block of `duration_s` of reply audio is handed to the player at `now_s` (it
        plays after any queued)."""
        with self._lock:
            begin = max(now_s, self._playing_until_s)
            self._playing_until_s = begin + duration_s
            end = self._playing_until_s + self.tail_s
            if self._spans and begin <= self._spans[-1][1]:
                self._spans[-1] = (self._spans[-1][0], end)
            else:
                self._spans.append((begin, end))

    def apply(self, block: AudioBlock) -> AudioBlock:
        """The block with every sample inside a gated span replaced by silence."""
        with self._lock:
            self._spans = [s for s in self._spans if s[1] > block.start_s]
            spans = list(self._spans)
        if not spans or spans[0][0] >= block.end_s:
            return block
        samples = block.samples.copy()
        for begin, end in spans:
            first = max(0, int(np.floor((begin - block.start_s) * block.sample_rate)))
            last = min(block.frames, int(np.ceil((end - block.start_s) * block.sample_rate)))
            if first < last:
                samples[first:last] = 0.0
        return AudioBlock(samples, block.sample_rate, block.start_s)
