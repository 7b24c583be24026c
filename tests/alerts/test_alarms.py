"""Life-safety alarms, end to end through SoundAlertDetector with the real YAMNet: the real CC0
smoke alarm, synthetic T3 and T4 alarms at speech level and 20 dB under it, alone and under real
speech and kitchen noise, and ten minutes of real speech and noise that must raise no alarm."""

from __future__ import annotations

import numpy as np
import pytest

from alerts.material import REAL_ALARM, REAL_ALARM_FIRST_TONE_S, detect, read_mono, rms_dbfs
from openhear.alerts.patterns import T3, T4, AlarmPatternDetector, alarm_signal

LEAD_S = 3.0
"""Background before the alarm starts."""
CYCLES = 4
"""Alarm cycles in each synthetic scene (T3: 16 s, T4: 23 s); a real alarm sounds for minutes."""


def test_the_real_smoke_alarm_is_announced_within_3_s_of_its_first_tone(yamnet):
    alerts = [a for a in detect(yamnet, read_mono(REAL_ALARM)) if a.sound == "smoke"]
    assert alerts, "the CC0 smoke alarm raised no alert"
    first = alerts[0]
    assert REAL_ALARM_FIRST_TONE_S < first.time_s <= REAL_ALARM_FIRST_TONE_S + 3.0
    assert first.life_safety and first.label == "Smoke or fire alarm"


def test_the_pattern_path_alone_finds_t3_in_the_real_alarm():
    """The second, independent path: the DSP detector recognises the real alarm's T3 (its gaps are
    0.33 s and its pause 1.16 s, shorter than the standard's 0.5 s and 1.5 s)."""
    matches = AlarmPatternDetector(T3).process(read_mono(REAL_ALARM))
    assert matches and abs(matches[0].frequency_hz - 3090) < 100
    assert matches[0].start_s == pytest.approx(REAL_ALARM_FIRST_TONE_S, abs=0.15)


def scene(pattern, frequency_hz, square, below_speech_db, background, speech_dbfs):
    """LEAD_S of background, then the alarm (tone RMS `below_speech_db` under the speech level)."""
    alarm = alarm_signal(
        pattern, frequency_hz, CYCLES, level_dbfs=speech_dbfs - below_speech_db, square=square
    )
    x = np.concatenate([np.zeros(round(LEAD_S * 16000), np.float32), alarm])
    if background is not None:
        x = x + np.resize(background, x.size)
    return x


# Limits of this increment, kept as strict expected failures so that a change that fixes one
# is noticed: 20 dB under running speech, T4's 0.1 s tones drown (both frequencies), and in the
# kitchen noise (5.5 dB under speech level, clattering in both alarm bands) neither YAMNet nor
# the pattern detector hears a 520 Hz square wave 20 dB under speech level.
KNOWN_MISSES = {
    ("T4", 3100, 20, "speech"),
    ("T4", 520, 20, "speech"),
    ("T4", 520, 20, "kitchen"),
    ("T3", 520, 20, "kitchen"),
}


def cases():
    for pattern in (T3, T4):
        for frequency_hz, square in ((3100, False), (520, True)):
            for below_db in (0, 20):
                for background in ("alone", "speech", "kitchen"):
                    key = (pattern.name, frequency_hz, below_db, background)
                    marks = (
                        [pytest.mark.xfail(strict=True, reason="known limit, see KNOWN_MISSES")]
                        if key in KNOWN_MISSES
                        else []
                    )
                    yield pytest.param(
                        pattern, frequency_hz, square, below_db, background, marks=marks
                    )


@pytest.mark.parametrize("pattern,frequency_hz,square,below_db,background", list(cases()))
def test_synthetic_alarm_is_detected(
    yamnet, speech, kitchen, pattern, frequency_hz, square, below_db, background
):
    noise = {"alone": None, "speech": speech, "kitchen": kitchen}[background]
    x = scene(pattern, frequency_hz, square, below_db, noise, rms_dbfs(speech))
    alerts = [a for a in detect(yamnet, x) if a.sound == pattern.sound]
    assert alerts, f"{pattern.name} at {frequency_hz} Hz, {below_db} dB under speech: no alert"
    assert alerts[0].time_s > LEAD_S  # not before the alarm began
    assert alerts[0].life_safety


def test_ten_minutes_of_real_speech_and_noise_raise_no_alarm(yamnet, manifest):
    """Every recording of tests/data/speech (clean and noisy speech, kitchen noise), looped to ten
    minutes; each pass starts on another sample of YAMNet's frame grid."""
    everything = np.concatenate([read_mono(u.path) for u in manifest])
    looped = np.resize(everything, 600 * 16000)
    alerts = detect(yamnet, looped, block_frames=16000)
    assert not [a for a in alerts if a.life_safety], alerts
