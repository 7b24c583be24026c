"""The DeepFilterNet ctypes binding, the RNNoise frame wrapper and the factory's contract."""

from __future__ import annotations

import numpy as np
import pytest

from openhear.dsp.noise import MAX_ATTENUATION_DB, attenuation_limit_db, make_suppressor
from openhear.dsp.noise.deepfilternet import FRAME_LENGTH, DeepFilterNetState
from openhear.dsp.noise.rnnoise import RnnoiseState
from openhear.errors import OpenhearError


def test_deepfilternet_state_processes_frames_and_reports_local_snr():
    st = DeepFilterNetState(atten_lim_db=12.0)
    assert st.frame_length == FRAME_LENGTH == 480
    rng = np.random.default_rng(0)
    out = np.zeros(480, np.float32)
    snrs = []
    for _ in range(50):
        st.process_frame((0.05 * rng.standard_normal(480)).astype(np.float32), out)
        snrs.append(st.last_snr_db)
    assert np.all(np.isfinite(out)) and np.any(out != 0)
    assert len(set(snrs)) > 1
    st.close()
    st.close()  # freeing twice is harmless
    with pytest.raises(RuntimeError):
        st.process_frame(np.zeros(480, np.float32), out)


def test_deepfilternet_rejects_bad_frames_and_limits():
    st = DeepFilterNetState(atten_lim_db=6.0)
    with pytest.raises(ValueError):
        st.process_frame(np.zeros(479, np.float32), np.zeros(480, np.float32))
    with pytest.raises(ValueError):
        st.process_frame(np.zeros(480, np.float64), np.zeros(480, np.float32))
    st.close()
    with pytest.raises(ValueError):
        DeepFilterNetState(atten_lim_db=0.0)


def test_rnnoise_limit_mixes_in_the_aligned_input():
    # With a 0 dB-like tiny limit the output is almost the input delayed by the model delay.
    st = RnnoiseState(atten_lim_db=0.01)
    x = (0.1 * np.sin(2 * np.pi * 440 * np.arange(480 * 6) / 48000)).astype(np.float32)
    y = np.zeros_like(x)
    for i in range(6):
        st.process_frame(x[i * 480 : (i + 1) * 480], y[i * 480 : (i + 1) * 480])
    np.testing.assert_allclose(y[960:], x[:-960], atol=0.002)
    st.close()


def test_strength_maps_linearly_to_the_attenuation_limit():
    assert attenuation_limit_db(0.0) == 0.0
    assert attenuation_limit_db(0.5) == 12.0
    assert attenuation_limit_db(1.0) == MAX_ATTENUATION_DB
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(OpenhearError):
            attenuation_limit_db(bad)


def test_unknown_kind_is_a_one_line_error():
    with pytest.raises(OpenhearError, match="unknown noise suppression 'wiener'"):
        make_suppressor("wiener", 0.5, 48000)


def test_unprepared_framed_suppressor_is_an_error():
    s = make_suppressor("rnnoise", 0.5)
    with pytest.raises(RuntimeError):
        s.process(np.zeros(10, np.float32))
