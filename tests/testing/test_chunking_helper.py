"""openhear.testing.assert_chunking_invariant itself: it passes a stateful processor that streams
exactly and fails one whose output depends on where the blocks are cut."""

from __future__ import annotations

import numpy as np
import pytest

from openhear.testing import assert_chunking_invariant, random_block_sizes


class _Delay:
    """Delays by one sample (its state crosses block boundaries correctly)."""

    def __init__(self) -> None:
        self._last = np.float32(0.0)

    def process(self, block: np.ndarray) -> np.ndarray:
        out = np.concatenate([[self._last], block[:-1]]).astype(np.float32)
        self._last = block[-1]
        return out


class _PerBlockNormaliser:
    """Scales each block to peak 1: the output depends on the blocks."""

    def process(self, block: np.ndarray) -> np.ndarray:
        return block / max(float(np.max(np.abs(block))), 1e-9)


SIGNAL = np.random.default_rng(0).standard_normal(5000).astype(np.float32)


def test_an_exact_stream_passes_and_the_whole_output_is_returned():
    whole = assert_chunking_invariant(lambda frames: _Delay(), SIGNAL, max_block_frames=300)
    np.testing.assert_array_equal(whole[1:], SIGNAL[:-1])


def test_output_that_depends_on_the_cuts_fails():
    with pytest.raises(AssertionError, match="blocks of"):
        assert_chunking_invariant(lambda frames: _PerBlockNormaliser(), SIGNAL)


def test_blocks_above_the_prepared_size_are_refused():
    with pytest.raises(ValueError, match="max_block_frames"):
        assert_chunking_invariant(lambda frames: _Delay(), SIGNAL, [[2000]], max_block_frames=1024)


def test_random_block_sizes_cover_the_signal_within_the_limit():
    sizes = random_block_sizes(5000, 64, seed=3)
    assert sum(sizes) == 5000 and 1 <= min(sizes) and max(sizes) <= 64
    assert sizes == random_block_sizes(5000, 64, seed=3)
