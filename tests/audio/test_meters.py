"""The callback's level meters, by physics: a sine's RMS and crest factor, per channel, the peak's
fall, the floor for silence, and no allocation per block."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from openhear.audio.meters import FLOOR_DBFS, PEAK_FALL_DB_PER_S, StereoMeter
from openhear.dsp.testsignals import tone

RATE, BLOCK = 48000, 64


def _feed(meter: StereoMeter, x: np.ndarray, block: int = BLOCK) -> None:
    for i in range(0, len(x) - block + 1, block):
        meter.measure(x[i : i + block])


def _stereo(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.stack([left, right], axis=1), np.float32)


def test_a_sine_reads_its_rms_and_a_3_db_higher_peak_in_each_channel():
    t = np.arange(2 * RATE) / RATE
    left = 0.1 * np.sqrt(2) * np.sin(2 * np.pi * 1000 * t)  # -20 dBFS RMS
    right = 0.01 * np.sqrt(2) * np.sin(2 * np.pi * 300 * t)  # -40 dBFS RMS
    meter = StereoMeter(RATE, BLOCK, 4096)
    _feed(meter, _stereo(left, right))
    rms, peak = meter.read()
    assert rms == pytest.approx((-20.0, -40.0), abs=0.1)
    assert peak == pytest.approx((-17.0, -37.0), abs=0.1)


def test_the_peak_falls_at_its_rate_and_silence_reads_the_floor():
    meter = StereoMeter(RATE, BLOCK, 4096)
    _feed(meter, _stereo(tone(1000, 60.0, 0.2, RATE), np.zeros(RATE // 5)))
    _, held = meter.read()
    _feed(meter, np.zeros((RATE // 2, 2), np.float32))
    rms, peak = meter.read()
    assert held[0] - peak[0] == pytest.approx(PEAK_FALL_DB_PER_S / 2, abs=0.5)
    assert rms[1] == peak[1] == FLOOR_DBFS


def test_measuring_allocates_nothing_per_block():
    meter = StereoMeter(RATE, 4096, 4096)
    x = np.ones((4096, 2), np.float32) * 0.1
    meter.measure(x)
    tracemalloc.start()
    try:
        for _ in range(100):
            meter.measure(x)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak_bytes < x.nbytes // 4  # a temporary of the block's size would show up here
