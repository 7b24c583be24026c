"""Properties that must hold for every input, checked on many drawn by hypothesis (derandomized:
the same examples each run, see tests/conftest.py): the limiter's ceiling whatever arrives and
however it is cut, and chunking invariance of the limiter and of the whole ear chain."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from openhear.dsp.chain import StereoChain
from openhear.dsp.limiter import PeakLimiter
from openhear.dsp.testsignals import speech_shaped_noise
from openhear.fitting.adjustments import Adjustments
from openhear.fitting.audiogram import preset
from openhear.fitting.profile import fit_listener
from openhear.testing import assert_chunking_invariant

RATE = 48000

ceilings = st.floats(min_value=1e-3, max_value=4.0)
any_samples = arrays(np.float32, st.integers(1, 3000), elements=st.floats(width=32))
"""Any float32 values: sound, silence, full scale, 1e38, NaN, infinities."""
finite_samples = arrays(
    np.float32,
    st.integers(1, 3000),
    elements=st.floats(-1e6, 1e6, width=32),
)
block_sizes = st.lists(st.integers(1, 700), min_size=1, max_size=12)


def _limiter(ceiling: float, max_block_frames: int) -> PeakLimiter:
    limiter = PeakLimiter(ceiling)
    limiter.prepare(RATE, max_block_frames)
    return limiter


@given(ceiling=ceilings, x=any_samples, sizes=block_sizes)
def test_limiter_output_is_finite_and_within_its_ceiling_for_any_input_and_split(ceiling, x, sizes):
    limiter = _limiter(ceiling, max(sizes))
    i, k = 0, 0
    while i < len(x):
        y = limiter.process(x[i : i + sizes[k % len(sizes)]])
        assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= np.float32(ceiling)
        i, k = i + len(y), k + 1


@given(ceiling=ceilings, x=finite_samples, sizes=block_sizes)
def test_limiter_gives_the_same_output_however_the_input_is_cut(ceiling, x, sizes):
    assert_chunking_invariant(
        lambda frames: _limiter(ceiling, frames), x, [sizes], max_block_frames=700, rtol=1e-5
    )


_PROFILE = fit_listener(preset("S3"), Adjustments(boost_db=10.0, noise_kind="spectral"))
_SPEECH = np.stack(
    [speech_shaped_noise(80.0, 0.2, RATE, seed=4), speech_shaped_noise(60.0, 0.2, RATE, seed=5)],
    axis=1,
)


def _chain(max_block_frames: int) -> StereoChain:
    chain = StereoChain.from_profile(_PROFILE)
    chain.prepare(RATE, max_block_frames)
    return chain


@settings(max_examples=10)  # each example builds two chains
@given(start=st.integers(0, len(_SPEECH) // 2), sizes=block_sizes)
def test_the_ear_chain_gives_the_same_output_however_the_input_is_cut(start, sizes):
    """Filterbank, compressor, noise suppressor and limiter together, loud enough to compress and
    limit, on any split of any stretch."""
    assert_chunking_invariant(_chain, _SPEECH[start:], [sizes], max_block_frames=700, atol=2e-6)
