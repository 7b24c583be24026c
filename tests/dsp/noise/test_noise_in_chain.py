"""The profile's noise settings reach the chain through make_suppressor, and the
chain's delay stays true."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from openhear.audio.resample import resample
from openhear.dsp.chain import StereoChain
from openhear.dsp.noise import make_suppressor
from openhear.fitting.adjustments import Adjustments
from openhear.fitting.audiogram import preset
from openhear.fitting.profile import flat_profile

RATE = 48000


@pytest.mark.parametrize("kind", ["spectral", "deepfilternet"])
def test_chain_reports_the_suppressor_delay_and_the_signal_arrives_then(kind, long_speech):
    x, sr = sf.read(long_speech.path, dtype="float32")
    x = resample(x, sr, RATE)[: 2 * RATE] * 0.03
    profile = flat_profile(preset("N3"), 0.0, Adjustments(noise_kind=kind, noise_strength=0.5))
    chain = StereoChain.from_profile(profile)
    chain.prepare(RATE, 1024)
    stereo = np.repeat(x[:, None], 2, axis=1)
    y = np.concatenate(
        [chain.process(stereo[i : i + 1024]).copy() for i in range(0, len(x), 1024)]
    )[:, 0]
    n = 1 << int(np.ceil(np.log2(2 * len(x))))
    xc = np.fft.irfft(np.fft.rfft(y, n) * np.conj(np.fft.rfft(x, n)), n)
    assert int(np.argmax(xc[: RATE // 10])) == chain.latency_frames
    plain = StereoChain.from_profile(flat_profile(preset("N3")))
    plain.prepare(RATE, 1024)
    assert (
        chain.latency_frames
        == plain.latency_frames + make_suppressor(kind, 0.5, RATE).latency_frames
    )
    if kind == "spectral":  # the light method keeps the low-latency chain within 5 ms
        assert chain.latency_frames <= 0.005 * RATE
