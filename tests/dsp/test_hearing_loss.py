"""The MSBG simulator: exactly pyclarity's model, long signals in segments equal to one pass, and
no logging side effects outside its own logger."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import soundfile as sf

from openhear.dsp.hearing_loss import (
    HEADROOM_DB,
    MSBG_FREQUENCIES_HZ,
    MSBG_LOGGER,
    MSBG_RATE,
    simulate_ear,
    simulate_listener,
    simulate_listener_blocks,
)
from openhear.dsp.levels import scaled_to_level
from openhear.errors import OpenhearError
from openhear.fitting.audiogram import Audiogram, Listener, preset

pytest.importorskip("clarity")


@pytest.fixture(scope="module")
def speech(long_speech) -> tuple[np.ndarray, int]:
    x, rate = sf.read(long_speech.path, dtype="float32")
    return scaled_to_level(x[int(0.5 * rate) : int(3.5 * rate)], 65.0), rate


def test_one_stretch_is_pyclarity_msbg_to_the_bit(speech):
    from clarity.evaluator.msbg.msbg import Ear
    from clarity.utils.audiogram import Audiogram as ClarityAudiogram

    from openhear.audio.resample import resample

    x = resample(speech[0][: speech[1]], speech[1], MSBG_RATE)  # 1 s at MSBG's own rate
    audiogram = preset("N4").left
    ear = Ear(src_pos="ff", sample_rate=MSBG_RATE, equiv_0db_spl=100 - HEADROOM_DB, ahr=HEADROOM_DB)
    ear.set_audiogram(
        ClarityAudiogram(
            levels=audiogram.levels_at(MSBG_FREQUENCIES_HZ),
            frequencies=np.array(MSBG_FREQUENCIES_HZ),
        )
    )
    expected = np.asarray(ear.process(x.astype(np.float64))[0], np.float32)[: len(x)]
    np.testing.assert_array_equal(simulate_ear(x, MSBG_RATE, audiogram), expected)


def _blocks(x: np.ndarray, frames: int = 4000):
    return lambda: (x[i : i + frames] for i in range(0, len(x), frames))


def test_segments_with_context_give_the_one_pass_output(speech):
    """3 s in 1 s segments: with 0.5 s of context each side they match one pass over the whole
    signal; without context the segment edges show (so the segments really are separate)."""
    x, rate = speech
    listener = Listener(preset("N3").left, preset("N3").left)
    whole = simulate_listener(x, rate, listener)
    assert whole.shape == (len(x), 2) and np.max(np.abs(whole)) > 1e-3

    def segmented(context_s: float) -> np.ndarray:
        blocks = simulate_listener_blocks(
            _blocks(x), rate, listener, segment_s=1.0, context_s=context_s
        )
        return np.concatenate(list(blocks))

    with_context = segmented(0.5)
    assert with_context.shape == whole.shape
    np.testing.assert_allclose(with_context, whole, rtol=0, atol=1e-6)
    without = segmented(0.0)
    assert without.shape == whole.shape
    assert np.max(np.abs(without - whole)) > 1e-4


def test_silence_stays_silence_at_any_length(speech):
    _, rate = speech
    listener = Listener(preset("N3").left, preset("S2").right)
    silence = np.zeros((rate * 3 + 17, 2), np.float32)
    blocks = simulate_listener_blocks(_blocks(silence), rate, listener, segment_s=1.0)
    heard = np.concatenate(list(blocks))
    assert heard.shape == silence.shape and not np.any(heard)


def test_msbg_logs_to_its_own_logger_and_never_silences_the_others(speech, caplog):
    """MSBG logs at every call; its messages go to MSBG_LOGGER (quiet but for errors) and the root
    logger stays as it was, so other threads' logs still get through while it runs."""
    x, rate = speech
    root = logging.getLogger()
    caplog.set_level(logging.DEBUG)
    before = (root.disabled, root.level, list(root.handlers), list(root.filters))
    severe = Audiogram((250, 500, 1000, 2000, 4000, 8000), (85, 85, 90, 90, 95, 95))
    simulate_ear(x[:rate], rate, severe)  # MSBG warns about losses over 80 dB HL, and logs info
    assert not [r for r in caplog.records if "clarity" in r.pathname]
    assert (root.disabled, root.level, list(root.handlers), list(root.filters)) == before

    msbg = logging.getLogger(MSBG_LOGGER)
    heard_meanwhile = []

    class Meanwhile(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            logging.getLogger("openhear.elsewhere").error("an error logged meanwhile")
            heard_meanwhile.append(record)

    handler, level = Meanwhile(), msbg.level
    msbg.addHandler(handler)
    msbg.setLevel(logging.INFO)
    try:
        simulate_ear(x[:rate], rate, preset("N2").left)
    finally:
        msbg.removeHandler(handler)
        msbg.setLevel(level)
    assert heard_meanwhile, "MSBG's messages should reach its own logger"
    elsewhere = [r for r in caplog.records if r.name == "openhear.elsewhere"]
    assert len(elsewhere) == len(heard_meanwhile)  # none lost while MSBG ran
    assert logging.getLogger(MSBG_LOGGER).level == logging.ERROR


@pytest.mark.parametrize("segment_s", [15.0, 0.2])
def test_a_signal_below_msbgs_level_floor_stays_quiet(segment_s):
    """At -95 dBFS no 10 ms frame reaches MSBG's -80 dBFS floor, so it finds no active level;
    it then made NaN, written as full-scale samples. One segment or several: quiet and finite."""
    rate = 16000
    x = (np.random.default_rng(3).standard_normal(rate // 2) * 10 ** (-95 / 20)).astype(np.float32)
    listener = Listener(preset("N3").left, preset("N3").left)
    heard = np.concatenate(
        list(simulate_listener_blocks(_blocks(x), rate, listener, segment_s=segment_s))
    )
    assert heard.shape == (len(x), 2) and np.all(np.isfinite(heard))
    assert np.max(np.abs(heard)) < 1e-3


def test_a_sound_shorter_than_msbgs_level_frame_is_a_one_line_error():
    with pytest.raises(OpenhearError, match="too short for the hearing-loss simulator") as caught:
        simulate_ear(np.full(100, 0.01, np.float32), 16000, preset("N3").left)
    assert "\n" not in str(caught.value)
