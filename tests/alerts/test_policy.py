"""AlertPolicy on hand-made evidence: persistence (k of the last n frames), repeat gaps, a sound
that yields to an alarm, and life-safety alerts first."""

from __future__ import annotations

from openhear.alerts.events import Priority, SoundEvent
from openhear.alerts.policy import AlertPolicy
from openhear.alerts.sounds import SOUNDS

HOP = 0.4875


def frames(sound: str, scores: list[float], start_s: float = 0.0) -> list[SoundEvent]:
    return [
        SoundEvent(sound, s, start_s + i * HOP, start_s + i * HOP + 0.975, "classifier", sound)
        for i, s in enumerate(scores)
    ]


def test_a_siren_needs_two_of_three_frames_over_its_threshold():
    spec = SOUNDS["siren"]
    assert (spec.frames, spec.window) == (2, 3)
    high, low = spec.threshold + 0.1, spec.threshold - 0.1
    assert AlertPolicy(["siren"]).update(frames("siren", [high, low, low, high, low, low])) == []
    alerts = AlertPolicy(["siren"]).update(frames("siren", [high, low, high]))
    assert len(alerts) == 1
    assert alerts[0].time_s == frames("siren", [0, 0, 0])[2].end_s  # raised by the third frame
    assert alerts[0].start_s == 0.0 and alerts[0].priority is Priority.LIFE_SAFETY


def test_one_frame_over_the_threshold_raises_the_smoke_alarm():
    spec = SOUNDS["smoke"]
    assert AlertPolicy(["smoke"]).update(frames("smoke", [spec.threshold - 0.01] * 9)) == []
    (alert,) = AlertPolicy(["smoke"]).update(frames("smoke", [0.1, spec.threshold]))
    assert alert.time_s == frames("smoke", [0, 0])[1].end_s


def test_an_alert_repeats_only_after_its_repeat_gap():
    policy = AlertPolicy(["doorbell"])
    gap = SOUNDS["doorbell"].repeat_s
    ring = frames("doorbell", [0.9])
    assert len(policy.update(ring)) == 1
    assert policy.update(frames("doorbell", [0.9], start_s=gap - 1.0)) == []
    assert len(policy.update(frames("doorbell", [0.9], start_s=gap + 0.1))) == 1


def test_a_pattern_match_raises_at_once_and_shares_the_repeat_gap():
    policy = AlertPolicy(["smoke"])
    match = SoundEvent("smoke", 1.0, 2.0, 6.2, "pattern", "T3 pattern at 3.10 kHz")
    (alert,) = policy.update([match])
    assert (alert.source, alert.time_s, alert.detail) == ("pattern", 6.2, match.detail)
    assert policy.update(frames("smoke", [0.9, 0.9, 0.9], start_s=7.0)) == []


def test_appliance_beeping_yields_to_a_smoke_alarm():
    policy = AlertPolicy(["smoke", "appliance"])
    evidence = sorted(
        frames("smoke", [0.9, 0.9, 0.9]) + frames("appliance", [0.9, 0.9, 0.9]),
        key=lambda e: e.end_s,
    )
    assert [a.sound for a in policy.update(evidence)] == ["smoke"]
    assert [a.sound for a in AlertPolicy(["appliance"]).update(evidence)] == ["appliance"]


def test_life_safety_alerts_come_first():
    policy = AlertPolicy(["knock", "siren"])
    evidence = frames("knock", [0.9]) + frames("siren", [0.9, 0.9])
    assert [a.sound for a in policy.update(evidence)] == ["siren", "knock"]


def test_sounds_not_chosen_are_ignored():
    assert AlertPolicy(["dog"]).update(frames("smoke", [0.9, 0.9, 0.9])) == []
