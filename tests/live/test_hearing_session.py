"""The hearing check live: the tone player on the (stand-in) sound card, the stop, and a whole
check answered by a listener who hears the buffers actually played."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from listening_player import Ear, ListeningPlayer, VirtualKeys

from openhear.dsp.tones import pulsed_tone, to_one_side
from openhear.errors import DeviceError
from openhear.fitting.audiogram import Audiogram, Listener
from openhear.fitting.audiometry import CheckOptions, HearingCheck
from openhear.fitting.hearing_levels import Calibration
from openhear.live.hearing_session import run_hearing_check
from openhear.live.tone_player import BLOCK_FRAMES, TonePlayer


def wait_for(condition, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def test_the_player_plays_exactly_the_buffer_then_silence(standin_card):
    card = standin_card(rate=48000)
    player = TonePlayer()
    player.start()
    tone = to_one_side(
        pulsed_tone(1000.0, -30.0, 48000, pulses=3, pulse_s=0.2, gap_s=0.1, ramp_s=0.025), "right"
    )
    stream = card.streams[-1]
    wait_for(lambda: len(stream.written) > 2)
    player.play(tone)
    wait_for(lambda: not player.playing)
    wait_for(lambda: len(stream.written) > 3)  # a block after the tone
    player.close()
    played = stream.played()
    start = np.flatnonzero(np.any(played != 0, axis=1))[0]
    # the tone's first non-zero frame onwards, bit for bit, then zeros
    first = int(np.flatnonzero(np.any(tone != 0, axis=1))[0])
    np.testing.assert_array_equal(played[start : start + len(tone) - first], tone[first:])
    assert not np.any(played[start + len(tone) - first :])
    assert stream.closed


def test_silence_stops_the_sound_within_one_block(standin_card):
    card = standin_card(rate=48000)
    player = TonePlayer()
    player.start()
    stream = card.streams[-1]
    long_tone = to_one_side(
        pulsed_tone(500.0, -20.0, 48000, pulses=1, pulse_s=10.0, gap_s=0.0, ramp_s=0.025), "left"
    )
    player.play(long_tone)
    wait_for(lambda: np.count_nonzero(np.any(stream.played(), axis=1)) > 20 * BLOCK_FRAMES)
    player.silence()
    at = len(stream.written)
    wait_for(lambda: len(stream.written) > at + 5)
    player.close()
    after = stream.played()[(at + 1) * BLOCK_FRAMES :]
    assert not np.any(after), "sound continued more than one block after silence()"
    assert np.any(stream.played()[: at * BLOCK_FRAMES])


def test_fade_out_ends_a_tone_on_a_raised_cosine_fall(standin_card):
    card = standin_card(rate=48000)
    player = TonePlayer()
    player.start()
    stream = card.streams[-1]
    player.play(
        to_one_side(
            pulsed_tone(1000.0, -20.0, 48000, pulses=1, pulse_s=10.0, gap_s=0.0, ramp_s=0.025),
            "left",
        )
    )
    wait_for(lambda: np.count_nonzero(stream.played()[:, 0]) > 20 * BLOCK_FRAMES)
    player.fade_out()
    wait_for(lambda: not player.playing)
    player.close()
    left = stream.played()[:, 0]
    sounding = np.flatnonzero(left)
    envelope = np.abs(left[sounding[-1] - 1200 : sounding[-1] + 1])
    # a 25 ms fall (1200 frames): the last 5 ms are below a tenth of the steady level
    assert np.max(envelope[-240:]) < 0.1 * np.max(np.abs(left[sounding[0] : sounding[-1]]))
    assert np.max(envelope[:240]) > 0.8 * np.max(np.abs(left[sounding[0] : sounding[-1]]))


def test_a_mono_output_is_refused_in_one_line(standin_card):
    standin_card(output_channels=1)
    with pytest.raises(DeviceError, match="stereo headphones"):
        TonePlayer()


def test_bad_buffers_are_refused_before_they_reach_the_card(standin_card):
    standin_card()
    player = TonePlayer()
    for bad in (np.zeros(100, np.float32), np.full((100, 2), np.nan, np.float32)):
        with pytest.raises(ValueError, match="finite stereo"):
            player.play(bad)
    player.close()


ASYMMETRIC = Listener(
    Audiogram([250, 500, 1000, 2000, 4000, 8000], [12, 17, 21, 33, 48, 61]),
    Audiogram([250, 500, 1000, 2000, 4000, 8000], [5, 5, 8, 10, 24, 36]),
)


@pytest.mark.parametrize(
    "calibration",
    [Calibration(), Calibration("supra-aural", 112.0, "stated"), Calibration("insert", 95.0)],
)
def test_a_whole_check_through_the_card_finds_the_thresholds_played_levels_imply(
    standin_card, calibration
):
    standin_card(rate=48000)
    ear = Ear(ASYMMETRIC, calibration)
    player = ListeningPlayer()
    player.ear = ear
    keys = VirtualKeys(ear)
    said: list[str] = []
    check = HearingCheck(calibration.max_level_db_hl, CheckOptions(seed=4))
    player.start()
    try:
        result = run_hearing_check(check, calibration, player, keys, said.append)
    finally:
        player.close()
    assert result is not None and result.complete and result.reliable
    for side in ("left", "right"):
        for t in result.ear(side).thresholds:
            truth = float(ASYMMETRIC.ear(side).levels_at([t.frequency_hz])[0])
            cap = t.max_level_db_hl
            # a listener who hears exactly from the threshold up: the next 5 dB step at or above it
            expected = 5 * math.ceil(truth / 5 - 1e-9)
            if expected <= cap:
                assert t.level_db_hl == expected, (side, t.frequency_hz, truth)
            else:
                assert t.level_db_hl is None
    # every level the ear measured in the played buffers is a level the procedure asked for
    assert all(lv <= 80.0 + 0.01 for _, _, lv in ear.heard_levels)
    assert any("right ear, 1 kHz" in line for line in said)
    assert any("left ear, 8 kHz" in line for line in said)
    assert all("[" in line and " of " in line for line in said if " ear, " in line)


def test_stop_ends_the_check_at_once_with_the_sound_off(standin_card):
    standin_card(rate=48000)
    calibration = Calibration()
    ear = Ear(ASYMMETRIC, calibration)
    player = ListeningPlayer()
    player.ear = ear
    keys = VirtualKeys(ear, stop_after_s=20.0)
    check = HearingCheck(calibration.max_level_db_hl, CheckOptions(seed=4))
    player.start()
    result = run_hearing_check(check, calibration, player, keys, lambda text: None)
    assert result is None
    assert not player.playing
    player.close()
