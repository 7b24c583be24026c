"""The low-latency chain allocates no buffers per block once prepared (the audio thread's rule).

numpy reports its data allocations to tracemalloc (so do its ufuncs' iterator buffers for
broadcasting operands), so per-block temporaries show in the traced peak, and anything kept per
block in the traced growth, which must not depend on the number of blocks. What remains is a few
small Python objects (frames, floats, array views), freed at once, whatever the block size.

tracemalloc sees every thread of the process, and the rest of the suite leaves server threads
running, so the measurement runs in a fresh interpreter (this file run as a script).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from openhear.dsp.chain import StereoChain
from openhear.fitting.audiogram import preset
from openhear.fitting.profile import fit_listener

RATE = 48000
MAX_BLOCK_FRAMES = 768  # 16 ms: above every live block size (DESIGN: 1 to 3 ms)
SMALL_BYTES = 4096  # room for Python objects of one call (views, floats), not for a block's buffers


def _level_jumps(n_blocks: int, frames: int) -> np.ndarray:
    """Noise whose level jumps every 10 blocks between -60 dBFS and peaks far above the limiter's
    ceiling, with a bad sample (NaN, +-inf, 1e30) in every 7th block: the guards that silence them
    allocate nothing either."""
    rng = np.random.default_rng(11)
    levels = np.repeat(rng.choice([0.001, 0.05, 3.0], n_blocks // 10 + 1), 10 * frames)
    x = rng.standard_normal((n_blocks * frames, 2)) * levels[: n_blocks * frames, None]
    blocks = np.arange(3, n_blocks, 7)
    at = blocks * frames + rng.integers(0, frames, len(blocks))
    x[at, rng.integers(0, 2, len(blocks))] = np.resize([np.nan, np.inf, -np.inf, 1e30], len(blocks))
    return x.astype(np.float32)


def _traced_growth_and_peak(chain: StereoChain, x: np.ndarray, frames: int) -> tuple[int, int]:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        for i in range(0, len(x), frames):
            chain.process(x[i : i + frames])
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return after - before, peak - before


def _measure(frames: int, noise: str) -> dict[int, tuple[int, int]]:
    """Traced (growth, peak) bytes for 50 and 200 blocks of `frames`, after prepare and warm-up."""
    profile = fit_listener(preset("N3")).with_adjustments(boost_db=10, noise_kind=noise)
    chain = StereoChain.from_profile(profile)
    chain.prepare(RATE, MAX_BLOCK_FRAMES)
    warm_up = _level_jumps(
        max(40, RATE // 5 // frames), frames
    )  # at least 200 ms: past the neural suppressors' delay
    for i in range(
        0, len(warm_up), frames
    ):  # first calls of every code path (ramp, limiter, compressor)
        chain.process(warm_up[i : i + frames])
    results = {}
    for n_blocks in (50, 200):
        x = _level_jumps(n_blocks, frames)
        results[n_blocks] = _traced_growth_and_peak(chain, x, frames)
        peak = max(
            float(np.abs(chain.process(x[i : i + frames])).max()) for i in range(0, len(x), frames)
        )
        # the same signal makes the limiter work
        assert (
            abs(peak - chain.left._limiter.ceiling_amplitude)
            <= 1e-3 * chain.left._limiter.ceiling_amplitude
        ), peak
    return results


@pytest.mark.parametrize("noise", ["none", "spectral", "deepfilternet", "rnnoise"])
@pytest.mark.parametrize("frames", [48, MAX_BLOCK_FRAMES])
def test_prepared_stereo_chain_allocates_nothing_per_block(frames, noise):
    """The chain alone, with the spectral suppressor (the low-latency choice), and with the neural
    ones at their own rate (48 kHz; what their native libraries allocate is not traced)."""
    run = subprocess.run(
        [sys.executable, __file__, str(frames), noise], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    results = {int(k): v for k, v in json.loads(run.stdout).items()}
    for growth, peak in results.values():
        assert growth <= SMALL_BYTES
        assert peak <= SMALL_BYTES
    assert results[200][0] <= results[50][0] + 512  # nothing accumulates with the number of blocks
    assert results[200][1] <= results[50][1] + 512


if __name__ == "__main__":
    print(json.dumps(_measure(int(sys.argv[1]), sys.argv[2])))
