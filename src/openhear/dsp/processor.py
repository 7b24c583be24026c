"""The processor lifecycle every DSP stage follows (prepare, process, reset).

`process` runs on the audio thread: it must not allocate, lock, log, touch files or compute
coefficients. Anything that depends on parameters is built beforehand, off the audio thread,
into an immutable object that the processor picks up whole.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Processor(Protocol):
    """One mono (per-ear) processing stage: float32 blocks in, as many samples out
    (possibly the same array)."""

    latency_frames: int
    """Algorithmic delay this stage adds, in frames at the prepared sample rate."""

    def prepare(self, sample_rate: int, max_block_frames: int) -> None:
        """Allocate buffers and state for this rate and the largest block that will be passed."""

    def process(self, block: np.ndarray) -> np.ndarray:
        """Process a 1-D float32 block (any length up to max_block_frames); returns the output
        block, which may be a buffer of the processor that the next call overwrites (copy it to keep
        it)."""

    def reset(self) -> None:
        """Clear internal state (filters, envelopes, buffers) as if the stream started anew."""
