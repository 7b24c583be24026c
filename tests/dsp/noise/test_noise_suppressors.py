"""Every noise suppressor on real speech and real kitchen noise: delay, SNR gain,
limit, streaming, reset."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from openhear.audio.resample import resample
from openhear.dsp.noise import attenuation_limit_db, make_suppressor
from openhear.testing import assert_chunking_invariant

KINDS = ["spectral", "deepfilternet", "rnnoise"]
RATE = 44100  # the neural models run at 48 kHz: this rate exercises the resamplers
MIN_SNR_GAIN_DB = {"spectral": 1.0, "deepfilternet": 6.0, "rnnoise": 2.0}


def load(path, rate=RATE) -> np.ndarray:
    x, sr = sf.read(path, dtype="float32")
    return resample(x, sr, rate)


@pytest.fixture(scope="module")
def speech(long_speech) -> np.ndarray:
    """6 s of read speech (LibriSpeech) at 44.1 kHz, RMS 0.05."""
    x = load(long_speech.path)[: 6 * RATE]
    return (x * 0.05 / np.sqrt(np.mean(x**2))).astype(np.float32)


@pytest.fixture(scope="module")
def kitchen(noise_clip, speech) -> np.ndarray:
    """Kitchen noise (dishes) as long as the speech, at the speech's RMS (0 dB SNR)."""
    n = load(noise_clip.path)[: len(speech)]
    return (n * np.sqrt(np.mean(speech**2) / np.mean(n**2))).astype(np.float32)


def run(kind: str, x: np.ndarray, strength: float = 0.5, rate: int = RATE):
    """Process x whole plus enough zeros to flush the delay; return (output
    aligned to x, suppressor)."""
    s = make_suppressor(kind, strength, rate, max_block_frames=len(x) + rate)
    y = s.process(np.concatenate([x, np.zeros(s.latency_frames, np.float32)]))
    return y[s.latency_frames :], s


def measured_lag(y: np.ndarray, x: np.ndarray, max_lag: int) -> int:
    n = 1 << int(np.ceil(np.log2(len(y) + len(x))))
    xc = np.fft.irfft(np.fft.rfft(y, n) * np.conj(np.fft.rfft(x, n)), n)
    return int(np.argmax(xc[:max_lag]))


def snr_db(y: np.ndarray, clean: np.ndarray) -> float:
    """SNR of y against the best-scaled clean reference (everything else counts as noise)."""
    a = np.dot(y, clean) / np.dot(clean, clean)
    return float(10 * np.log10(np.sum((a * clean) ** 2) / np.sum((y - a * clean) ** 2)))


def level_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-20))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("rate", [RATE, 48000])
def test_reported_delay_equals_measured_delay(kind, rate, long_speech):
    x = load(long_speech.path, rate)[: 3 * rate]
    s = make_suppressor(kind, 0.5, rate, max_block_frames=len(x))
    y = s.process(x)
    assert measured_lag(y, x, rate // 5) == s.latency_frames
    assert s.latency_ms == pytest.approx(1000 * s.latency_frames / rate)


def test_delays_are_as_documented_at_48_khz():
    # 48 kHz needs no resampling: the delay is one model frame of buffering plus the model's own.
    assert make_suppressor("deepfilternet", 0.5, 48000).latency_frames == 480 + 1440
    assert make_suppressor("rnnoise", 0.5, 48000).latency_frames == 480 + 960
    assert make_suppressor("spectral", 0.5, 48000).latency_ms <= 2.0


@pytest.mark.parametrize("kind", KINDS)
def test_improves_snr_of_speech_in_kitchen_noise(kind, speech, kitchen):
    y, _ = run(kind, speech + kitchen)
    gain = snr_db(y, speech) - snr_db(speech + kitchen, speech)
    assert gain >= MIN_SNR_GAIN_DB[kind]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("strength", [0.25, 0.5])
def test_noise_is_not_attenuated_beyond_the_limit(kind, strength, kitchen):
    limit = attenuation_limit_db(strength)
    rng = np.random.default_rng(1)
    white = (0.02 * rng.standard_normal(len(kitchen))).astype(np.float32)
    for noise in (kitchen, white):
        y, _ = run(kind, noise, strength)
        skip = RATE  # let the noise estimates settle
        attenuation = level_db(noise[skip:]) - level_db(y[skip:])
        assert attenuation <= limit + 1.0
        # per 200 ms too: no stretch of noise goes quieter than the limit allows
        seg = RATE // 5
        per_segment = [
            level_db(noise[i : i + seg]) - level_db(y[i : i + seg])
            for i in range(skip, len(y) - seg, seg)
        ]
        assert max(per_segment) <= limit + 2.0
    assert attenuation >= 1.0  # and it does suppress stationary noise


@pytest.mark.parametrize("kind", KINDS)
def test_speech_in_quiet_keeps_its_level(kind, speech):
    y, _ = run(kind, speech)
    assert abs(level_db(y) - level_db(speech)) <= 2.0
    assert snr_db(y, speech) >= 10.0


@pytest.mark.parametrize("kind", KINDS)
def test_chunked_equals_whole_with_random_block_sizes(kind, speech, kitchen):
    x = (speech + kitchen)[: 2 * RATE]
    assert_chunking_invariant(
        lambda frames: make_suppressor(kind, 0.5, RATE, max_block_frames=frames),
        x,
        max_block_frames=1024,
        seed=7,
        atol=2e-5,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_reset_starts_the_stream_anew(kind, speech, kitchen):
    x = (speech + kitchen)[:RATE]
    s = make_suppressor(kind, 0.5, RATE, max_block_frames=len(x))
    first = s.process(x).copy()
    s.process(x[::-1].copy())
    s.reset()
    np.testing.assert_allclose(s.process(x), first, atol=1e-6)


def test_none_and_zero_strength_pass_through_without_delay(speech):
    for kind, strength in [("none", 0.5), ("deepfilternet", 0.0), ("spectral", 0.0)]:
        s = make_suppressor(kind, strength, RATE)
        assert s.latency_frames == 0
        np.testing.assert_array_equal(s.process(speech[:1000]), speech[:1000])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("rms_dbfs", [-55.0, -15.0])
def test_soft_and_loud_speech_in_quiet_pass(kind, rms_dbfs, speech):
    # -55 dBFS is 45 dB SPL at the default calibration: the neural models must
    # not take it for noise.
    x = (speech[: 3 * RATE] * 10 ** (rms_dbfs / 20) / 0.05).astype(np.float32)
    y, _ = run(kind, x)
    assert abs(level_db(y) - level_db(x)) <= 2.0
