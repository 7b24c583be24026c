"""The ear chain: streaming equals whole-file, flat stays flat, NAL-R hits its
targets, latency, ramps."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import welch

from openhear.dsp.chain import EarChain, EarSettings, StereoChain, amplify_array
from openhear.dsp.levels import level_db_spl
from openhear.dsp.testsignals import speech_shaped_noise, tone
from openhear.fitting.audiogram import preset
from openhear.fitting.profile import fit_listener, flat_profile
from openhear.testing import assert_chunking_invariant

RATE = 44100


@pytest.fixture(scope="module")
def n3():
    return fit_listener(preset("N3"))


def test_random_block_sizes_give_the_same_output_as_one_block(long_speech, n3):
    x, rate = sf.read(long_speech.path, dtype="float32")
    x = x[: rate * 4]
    stereo = np.stack([x, 0.5 * x[::-1]], axis=1)

    def make(max_block_frames: int) -> StereoChain:
        chain = StereoChain.from_profile(n3)
        chain.prepare(rate, max_block_frames)
        return chain

    expected = assert_chunking_invariant(make, stereo, max_block_frames=1024, seed=7, atol=2e-6)
    assert np.max(np.abs(expected)) > 0.01


def test_flat_fitting_is_flat_within_1_db_from_250_hz_to_8_khz():
    flat = flat_profile(preset("N3"), gain_db=10.0)
    for freq in (250, 400, 630, 1000, 1600, 2500, 4000, 6300, 8000):
        x = tone(freq, 60.0, 0.4, RATE)
        y = amplify_array(x, RATE, flat)[:, 0]
        gain = level_db_spl(y[RATE // 5 :]) - level_db_spl(x[RATE // 5 :])
        assert abs(gain - 10.0) <= 1.0, (freq, gain)


@pytest.mark.parametrize("name", ["N1", "N2", "N3", "N4", "S1", "S2", "S3"])
def test_nal_r_fitting_matches_its_targets_within_3_db(name):
    """Insertion gain per band measured with speech-shaped noise at 65 dB SPL against the rule's
    target there (NAL-R plus what the compression adds below the speech peaks, see
    fitting.prescription)."""
    profile = fit_listener(preset(name)).with_adjustments(max_output_db_spl=111)
    x = speech_shaped_noise(65.0, 3.0, RATE, seed=1)
    y = amplify_array(x, RATE, profile)[:, 0]
    f, px = welch(x[RATE // 2 :], RATE, nperseg=8192)
    _, py = welch(y[RATE // 2 :], RATE, nperseg=8192)
    for band in profile.left.bands:
        near = (f > band.center_hz * 0.95) & (f < band.center_hz * 1.05)
        measured = 10 * np.log10(py[near].sum() / px[near].sum())
        assert abs(measured - band.gain_db) <= 3.0, (band.center_hz, measured, band.gain_db)


@pytest.mark.parametrize("sample_rate", [16000, 48000])
def test_latency_from_the_impulse_response_is_at_most_5_ms_and_as_reported(n3, sample_rate):
    for profile in (flat_profile(preset("N3")), n3):
        ear = EarChain(EarSettings.from_profile(profile, "left"))
        ear.prepare(sample_rate, 4096)
        ear.process(np.zeros(sample_rate // 5, np.float32))  # past the ramp-in
        impulse = np.zeros(sample_rate // 10, np.float32)
        impulse[0] = 0.01
        response = ear.process(impulse)
        measured = int(np.argmax(np.abs(response)))
        assert measured == ear.latency_frames
        assert measured / sample_rate <= 0.005


def test_compression_narrows_a_40_db_input_range(n3):
    outs = []
    for level in (40.0, 80.0):
        x = tone(2000, level, 0.5, RATE)
        outs.append(level_db_spl(amplify_array(x, RATE, n3)[RATE // 4 :, 0]))
    ratio = n3.left.bands[5].ratio
    assert outs[1] - outs[0] == pytest.approx(40.0 / ratio, abs=2.0)


def test_gain_ramps_in_at_start(n3):
    x = tone(1000, 65.0, 0.5, RATE)
    ear = EarChain(EarSettings.from_profile(n3, "left"))
    ear.prepare(RATE, 4096)
    y = ear.process(x)
    ms = RATE // 1000
    gain_db = np.array(
        [level_db_spl(y[i : i + ms]) for i in range(5 * ms, len(y) - ms, ms)]
    ) - level_db_spl(x)
    steady = gain_db[-50:].mean()
    assert steady > 12.0  # the fitting amplifies a 1 kHz tone at 65 dB SPL by about 16 dB
    assert (
        gain_db[0] < 4.0
    )  # once the tone is through the 4 ms filterbank: near unity gain, no blast
    assert np.all(np.abs(np.diff(gain_db[:100])) < 1.5)  # rises smoothly (< 1.5 dB per ms), no step
    # in full after the 20 ms ramp; until the compressor's 50 ms attack has caught up with the tone
    # it gives a little more (within 1 dB), never less
    assert 0.0 <= gain_db[30] - steady < 1.0


def test_slider_change_glides_instead_of_jumping(n3):
    x = tone(1000, 65.0, 1.0, RATE)
    ear = EarChain(EarSettings.from_profile(n3, "left"))
    ear.prepare(RATE, 512)
    first = np.concatenate([ear.process(x[i : i + 512]).copy() for i in range(0, RATE // 2, 512)])
    ear.update(EarSettings.from_profile(n3.with_adjustments(boost_db=12), "left"))
    second = np.concatenate(
        [
            ear.process(x[i : i + 512]).copy()
            for i in range(RATE // 2 - RATE // 2 % 512 + 512, RATE, 512)
        ]
    )
    ms = RATE // 1000
    env = np.array(
        [np.sqrt(np.mean(second[i : i + ms] ** 2)) for i in range(0, len(second) - ms, ms)]
    )
    before = np.sqrt(np.mean(first[-RATE // 10 :] ** 2))
    assert env[-20:].mean() / before == pytest.approx(10 ** (12 / 20), rel=0.1)
    assert np.max(np.diff(20 * np.log10(env))) < 1.5  # < 1.5 dB per ms: a glide, not a click


class _Delay:
    """A stand-in noise slot that only delays (tests the slot's plumbing, not a suppressor)."""

    def __init__(self, frames: int):
        self.latency_frames = frames

    def prepare(self, sample_rate, max_block_frames):
        self.reset()

    def reset(self):
        self._buf = np.zeros(self.latency_frames, np.float32)

    def process(self, block):
        joined = np.concatenate([self._buf, block])
        self._buf = joined[len(block) :]
        return joined[: len(block)]


def test_noise_slot_runs_first_and_its_delay_is_counted(n3):
    ear = EarChain(EarSettings.from_profile(flat_profile(preset("N3")), "left"), noise=_Delay(100))
    ear.prepare(RATE, 4096)
    ear.process(np.zeros(RATE // 5, np.float32))
    impulse = np.zeros(2048, np.float32)
    impulse[0] = 0.01
    assert int(np.argmax(np.abs(ear.process(impulse)))) == ear.latency_frames
    plain = EarChain(EarSettings.from_profile(n3, "left"))
    plain.prepare(RATE, 4096)
    assert ear.latency_frames == plain.latency_frames + 100
