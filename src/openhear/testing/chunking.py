"""Chunking invariance: a stream processed in any blocks equals the stream processed whole."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np


class BlockProcessor(Protocol):
    """Anything with `process(block) -> block` (a dsp Processor, a StereoChain, ...)."""

    def process(self, block: np.ndarray) -> np.ndarray:
        """The output for one block (may be a buffer the next call overwrites)."""
        ...


def random_block_sizes(total_frames: int, max_block_frames: int, seed: int = 0) -> list[int]:
    """Block sizes from 1 to `max_block_frames` (drawn with `seed`) adding up to `total_frames`."""
    rng = np.random.default_rng(seed)
    sizes: list[int] = []
    left = total_frames
    while left > 0:
        n = min(left, int(rng.integers(1, max_block_frames + 1)))
        sizes.append(n)
        left -= n
    return sizes


def _in_blocks(processor: BlockProcessor, signal: np.ndarray, sizes: Sequence[int]) -> np.ndarray:
    """The processor's output for `signal` fed in blocks of `sizes` (cycled), joined."""
    parts, i, k = [], 0, 0
    while i < len(signal):
        n = int(sizes[k % len(sizes)])
        if n < 1:
            raise ValueError("block sizes must be at least 1 frame")
        out = processor.process(signal[i : i + n])
        if len(out) != len(signal[i : i + n]):
            raise AssertionError(f"a block of {n} frames gave {len(out)} frames out")
        parts.append(np.array(out, copy=True))  # the output is valid until the next call
        i, k = i + n, k + 1
    return np.concatenate(parts)


def assert_chunking_invariant(
    make_processor: Callable[[int], BlockProcessor],
    signal: np.ndarray,
    block_patterns: Sequence[Sequence[int]] | None = None,
    *,
    max_block_frames: int = 1024,
    seed: int = 0,
    atol: float = 0.0,
    rtol: float = 0.0,
) -> np.ndarray:
    """Assert that `signal` (frames first) gives the same output whole and in blocks; return the
    whole output.

    `make_processor(max_block_frames)` must return a fresh, prepared processor for blocks of up to
    that many frames; it is called once for the whole signal and once per block pattern. Each
    pattern is a list of block sizes, cycled over the signal; by default one pattern of random
    sizes from 1 to `max_block_frames` (drawn with `seed`) and one of `max_block_frames` each.
    Outputs are compared with numpy's assert_allclose(`rtol`, `atol`).
    """
    if block_patterns is None:
        block_patterns = [
            random_block_sizes(len(signal), max_block_frames, seed),
            [max_block_frames],
        ]
    largest = max(max(pattern) for pattern in block_patterns)
    if largest > max_block_frames:
        raise ValueError(f"a block of {largest} frames is above max_block_frames")
    whole = np.array(make_processor(len(signal)).process(signal), copy=True)
    if len(whole) != len(signal):
        raise AssertionError(f"{len(signal)} frames in gave {len(whole)} frames out")
    for pattern in block_patterns:
        chunked = _in_blocks(make_processor(max_block_frames), signal, pattern)
        np.testing.assert_allclose(
            chunked,
            whole,
            rtol=rtol,
            atol=atol,
            err_msg=f"blocks of {list(pattern[:8])}{'...' if len(pattern) > 8 else ''} frames",
        )
    return whole
