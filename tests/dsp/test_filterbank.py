"""The DFT filterbank: perfect reconstruction with a short, exactly known delay,
for any block sizes."""

from __future__ import annotations

import numpy as np
import pytest

from openhear.dsp.filterbank import DftFilterbank


@pytest.mark.parametrize("sample_rate", [16000, 44100, 48000])
def test_unchanged_spectra_give_the_input_delayed_by_latency(sample_rate):
    fb = DftFilterbank(sample_rate)
    assert fb.latency_frames / sample_rate <= 0.005
    assert fb.bin_hz[1] <= 260  # at least 8 bands between 250 Hz and 8 kHz can be told apart
    rng = np.random.default_rng(3)
    x = rng.standard_normal(sample_rate // 2).astype(np.float32)
    out, i = [], 0
    while i < len(x):
        block = x[i : i + int(rng.integers(1, 500))]
        i += len(block)
        y = fb.synthesize(fb.analyze(block), len(block))
        assert len(y) == len(block)
        out.append(y.copy())  # the output is valid until the next call
    y = np.concatenate(out)
    delay = fb.latency_frames
    assert np.max(np.abs(y[delay:] - x[:-delay])) < 1e-5
    assert np.max(np.abs(y[:delay])) < 1e-6  # nothing before the delay (only FFT rounding)
