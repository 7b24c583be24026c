"""The microphone source: blocks with their times, a clean stop, and one-line
errors without a device."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

from openhear.audio.sources import Microphone
from openhear.errors import DeviceError

RATE = 16000


def _ramp(seconds: float) -> np.ndarray:
    return np.linspace(-1, 1, round(seconds * RATE), dtype=np.float32)


def test_blocks_carry_the_rate_and_continuous_times_and_stop_at_the_duration(standin_card):
    signal = _ramp(3.0)
    card = standin_card(signal, RATE)
    mic = Microphone(duration_s=1.0)
    blocks = list(mic.blocks())
    assert mic.sample_rate == RATE and mic.block_frames == RATE // 50 and mic.name == "stand-in"
    assert sum(b.frames for b in blocks) == RATE  # 50 blocks of 20 ms
    assert all(b.sample_rate == RATE for b in blocks)
    assert [b.start_s for b in blocks] == pytest.approx([i * 0.02 for i in range(50)])
    np.testing.assert_array_equal(np.concatenate([b.samples[:, 0] for b in blocks]), signal[:RATE])
    assert not card.streams[0].active and card.streams[0].closed


def test_stop_from_another_thread_ends_the_blocks(standin_card):
    standin_card(np.zeros(RATE * 600, np.float32), RATE)  # ten minutes: only stop() can end it
    mic = Microphone(block_frames=160)
    seen = 0
    for _ in mic.blocks():
        seen += 1
        if seen == 10:
            threading.Thread(target=mic.stop).start()
    assert seen >= 10 and mic.elapsed_s() >= 0


def test_a_consumer_that_stops_early_closes_the_stream(standin_card):
    card = standin_card(_ramp(5.0), RATE)
    blocks = Microphone().blocks()
    next(blocks)
    blocks.close()
    assert card.streams[0].closed and not card.streams[0].active


def test_a_stream_that_dies_is_a_device_error(standin_card):
    standin_card(
        _ramp(0.1), RATE
    )  # the stand-in stream goes inactive after its signal, as a lost device does
    with pytest.raises(DeviceError, match="stopped"):
        list(Microphone().blocks())


def test_no_input_device_is_a_one_line_device_error():
    """The real path: this machine has no sound card (or no such device)."""
    with pytest.raises(DeviceError, match="device") as caught:
        Microphone("no such microphone")
    assert "\n" not in str(caught.value)


def test_converse_live_without_a_microphone_is_a_one_line_error():
    result = subprocess.run(
        [sys.executable, "-m", "openhear", "converse", "--live", "--input-device", "no such mic"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "device" in result.stderr, result.stderr
