"""The SNR-adaptive limit of DeepFilterNet3: full in noise, stepping back in quiet, slowly."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from openhear.audio.resample import resample
from openhear.dsp.noise import make_suppressor
from openhear.dsp.noise.adaptive import (
    MIN_LIMIT_DB,
    SLEW_DB_PER_S,
    AdaptiveLimitModel,
)
from openhear.dsp.noise.deepfilternet import FRAME_LENGTH, SAMPLE_RATE, DeepFilterNetState
from openhear.errors import OpenhearError
from openhear.testing import assert_chunking_invariant

FULL_DB = 12.0
FRAME_S = FRAME_LENGTH / SAMPLE_RATE


def load(path, seconds: float) -> np.ndarray:
    x, sr = sf.read(path, dtype="float32")
    return resample(x, sr, SAMPLE_RATE)[: int(seconds * SAMPLE_RATE)]


def at_rms(x: np.ndarray, rms: float) -> np.ndarray:
    return (x * rms / np.sqrt(np.mean(x.astype(np.float64) ** 2))).astype(np.float32)


@pytest.fixture(scope="module")
def speech(long_speech) -> np.ndarray:
    """10 s of read speech at 48 kHz, RMS 0.01 (about 60 dB SPL at openhear's calibration)."""
    return at_rms(load(long_speech.path, 10), 0.01)


@pytest.fixture(scope="module")
def kitchen(noise_clip, speech) -> np.ndarray:
    """Kitchen noise (dishes) at the speech's RMS: 0 dB SNR."""
    return at_rms(load(noise_clip.path, 10)[: len(speech)], 0.01)


def limits(x: np.ndarray) -> np.ndarray:
    """The limit (dB) applied to each 10 ms frame of x."""
    model = AdaptiveLimitModel(DeepFilterNetState(FULL_DB), FULL_DB)
    out = np.zeros(FRAME_LENGTH, np.float32)
    trace = []
    for i in range(0, len(x) - FRAME_LENGTH + 1, FRAME_LENGTH):
        model.process_frame(x[i : i + FRAME_LENGTH], out)
        trace.append(model.limit_db)
    model.close()
    return np.array(trace)


def test_limit_steps_back_for_clean_speech(speech):
    trace = limits(speech)
    assert trace[0] >= FULL_DB - SLEW_DB_PER_S * FRAME_S  # starts at the full limit
    # after the first 3 s the estimated SNR is high and the limit is mostly stepped back
    assert np.median(trace[300:]) <= 3.0
    assert trace.min() >= MIN_LIMIT_DB


def test_limit_stays_full_for_speech_in_steady_noise_at_0_db_snr(speech, kitchen):
    trace = limits(speech + kitchen)
    assert np.mean(trace) >= FULL_DB - 0.5
    assert trace.min() >= FULL_DB - 2.0


def test_limit_changes_no_faster_than_its_slew_rate(speech, kitchen):
    # clean speech, then speech in noise: the limit falls, then climbs back, both at the slew rate
    x = np.concatenate([speech, speech + kitchen])
    trace = limits(x)
    step = np.abs(np.diff(trace))
    assert step.max() <= SLEW_DB_PER_S * FRAME_S + 1e-9
    assert trace[len(speech) // FRAME_LENGTH] <= 3.0
    assert trace[-1] >= FULL_DB - 0.5


def test_adaptive_suppressor_streams_and_resets(speech, kitchen):
    x = (speech + 0.1 * kitchen)[: 3 * SAMPLE_RATE]
    assert_chunking_invariant(
        lambda frames: make_suppressor(
            "deepfilternet", 0.5, 44100, max_block_frames=frames, snr_adaptive=True
        ),
        resample(x, SAMPLE_RATE, 44100),
        max_block_frames=1024,
        seed=3,
        atol=2e-5,
    )
    s = make_suppressor("deepfilternet", 0.5, SAMPLE_RATE, len(x), snr_adaptive=True)
    first = s.process(x).copy()
    s.process(x[::-1].copy())
    s.reset()
    np.testing.assert_allclose(s.process(x), first, atol=1e-6)


def test_adaptive_strength_needs_deepfilternet():
    with pytest.raises(OpenhearError, match="deepfilternet"):
        make_suppressor("spectral", 0.5, SAMPLE_RATE, snr_adaptive=True)
