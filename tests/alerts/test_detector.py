"""SoundAlertDetector as a stream: the same alerts however the audio comes (block sizes, stereo,
8 to 48 kHz), times on the input's clock, and one-line errors for audio it cannot use."""

from __future__ import annotations

import numpy as np
import pytest

from alerts.material import REAL_ALARM, detect, read_mono
from openhear.alerts.classifier import HOP_S
from openhear.alerts.detector import SoundAlertDetector
from openhear.alerts.patterns import T3, T4, alarm_signal
from openhear.audio.block import AudioBlock
from openhear.audio.resample import resample
from openhear.errors import AudioInputError


@pytest.fixture(scope="module")
def alarm() -> np.ndarray:
    return read_mono(REAL_ALARM)


def summary(alerts) -> list[tuple[str, str, float]]:
    return [(a.sound, a.source, round(a.time_s, 3)) for a in alerts]


@pytest.fixture(scope="module")
def reference(yamnet, alarm):
    alerts = detect(yamnet, alarm, block_frames=16000)
    assert [a.sound for a in alerts] == ["smoke"]  # one alarm, announced once (30 s repeat gap)
    return alerts


@pytest.mark.parametrize("block_frames", [37, 160, 1234, 7800, 44100, 10**6])
def test_any_block_size_gives_the_same_alerts(yamnet, alarm, reference, block_frames):
    alerts = detect(yamnet, alarm, block_frames=block_frames)
    assert summary(alerts) == summary(reference)
    assert [a.score for a in alerts] == pytest.approx([a.score for a in reference], abs=1e-5)


def test_stereo_gives_the_same_alerts(yamnet, alarm, reference):
    stereo = np.stack([alarm, alarm], axis=1)
    assert summary(detect(yamnet, stereo)) == summary(reference)


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 44100, 48000])
def test_any_rate_from_8_to_48_khz_gives_the_same_alerts(yamnet, alarm, reference, rate):
    """Resampled audio differs a little from the original, so times may move by one frame hop."""
    x = resample(alarm, 16000, rate)
    alerts = detect(yamnet, np.stack([x, 0.5 * x], axis=1), rate=rate, block_frames=rate // 50)
    assert [a.sound for a in alerts] == [a.sound for a in reference]
    for got, want in zip(alerts, reference, strict=True):
        assert abs(got.time_s - want.time_s) <= HOP_S + 1e-6


def test_times_are_on_the_input_clock(yamnet, alarm, reference):
    detector = SoundAlertDetector(yamnet)
    alerts = []
    for at in range(0, alarm.size, 4000):
        alerts += detector.feed(
            AudioBlock.from_mono(alarm[at : at + 4000], 16000, 100.0 + at / 16000)
        )
    alerts += detector.flush()
    assert [a.time_s for a in alerts] == pytest.approx([100.0 + a.time_s for a in reference])


def test_flush_starts_a_new_stream(yamnet, alarm, reference):
    detector = SoundAlertDetector(yamnet)
    for _ in range(2):  # the second pass is announced again: flush forgets the repeat gap
        alerts = detector.feed(AudioBlock.from_mono(alarm, 16000)) + detector.flush()
        assert summary(alerts) == summary(reference)


def test_non_finite_samples_do_not_deafen_the_detector(yamnet, alarm, reference):
    broken = np.concatenate([np.full(1600, np.nan, np.float32), alarm])
    alerts = detect(yamnet, broken, block_frames=1600)
    assert [a.sound for a in alerts] == ["smoke"]


def test_a_rate_under_8_khz_is_a_one_line_error(yamnet):
    with pytest.raises(AudioInputError, match="8000 Hz or more"):
        SoundAlertDetector(yamnet).feed(AudioBlock.from_mono(np.zeros(600), 6000))


def test_a_format_change_mid_stream_is_a_one_line_error(yamnet):
    detector = SoundAlertDetector(yamnet)
    detector.feed(AudioBlock.from_mono(np.zeros(1600), 16000))
    with pytest.raises(AudioInputError, match="format changed mid-stream"):
        detector.feed(AudioBlock(np.zeros((1600, 2), np.float32), 16000, 0.1))


def test_only_the_chosen_sounds_are_announced(yamnet, alarm):
    assert detect(yamnet, alarm, sounds=("doorbell", "dog")) == []
    pattern_only = detect(yamnet, alarm, sounds=("smoke",))
    assert [a.sound for a in pattern_only] == ["smoke"]


def test_without_classifier_sounds_no_model_is_loaded():
    """The CO alarm has no YAMNet class: the pattern path alone finds a T4 (and the T3 of a smoke
    alarm is not announced as CO)."""
    detector = SoundAlertDetector(None, sounds=("co",))
    assert detector._classifier is None
    t4 = alarm_signal(T4, 3300, cycles=2)
    alerts = detector.feed(AudioBlock.from_mono(t4, 16000)) + detector.flush()
    assert [(a.sound, a.source) for a in alerts] == [("co", "pattern")]
    assert "T4 pattern at 3.3" in alerts[0].detail
    t3 = alarm_signal(T3, 3300, cycles=2)
    assert detector.feed(AudioBlock.from_mono(t3, 16000)) + detector.flush() == []


def test_a_real_dog_barking_raises_the_dog_alert_only(yamnet):
    """A CC0 recording of two dogs barking (see tests/data/alerts/SOURCES.md)."""
    dogs = read_mono(REAL_ALARM.parent / "bigsoundbank_s0868_two_dogs_barking.wav")
    alerts = detect(yamnet, dogs)
    assert [(a.sound, a.priority.name) for a in alerts] == [("dog", "NOTICE")]
    assert alerts[0].time_s < 3.0 and alerts[0].detail in {"Dog", "Bark", "Bow-wow"}
