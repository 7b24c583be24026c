"""The boundary where audio enters: bad samples become silence, are counted, and are reported once,
for every source (files, uploads, stdin's and the socket's PCM, the microphone)."""

from __future__ import annotations

import io
import logging

import numpy as np
import pytest
from conftest import BAD_SAMPLES

from openhear.audio.block import AudioBlock
from openhear.audio.files import (
    iter_audio_file,
    iter_sound_file,
    open_sound_file,
    pcm_s16le_block,
    read_audio,
)
from openhear.audio.guard import MAX_SAMPLE, BlockGuard, StreamGuard, zero_bad_samples
from openhear.audio.sources import Microphone

RATE = 16000


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_bad_samples_become_silence_and_sound_is_untouched():
    sound = [0.0, 0.5, -1.0, 1.5, -4.0, MAX_SAMPLE, -MAX_SAMPLE]  # float files may exceed 1.0
    bad = [*BAD_SAMPLES.values(), -1e30, 1.001 * MAX_SAMPLE, -32768.0]
    x = np.array(sound + bad, np.float32).reshape(-1, 1)
    assert zero_bad_samples(x) == len(bad)
    np.testing.assert_array_equal(x[:, 0], sound + [0.0] * len(bad))
    assert zero_bad_samples(x) == 0  # clean now
    assert zero_bad_samples(np.zeros((0, 2), np.float32)) == 0


def test_the_audio_thread_guard_leaves_its_input_alone():
    guard = BlockGuard()
    guard.prepare(RATE, 8)
    x = np.array([0.25, np.nan, -np.inf, 1e30, -0.5], np.float32)
    y = guard.process(x)
    np.testing.assert_array_equal(y, [0.25, 0.0, 0.0, 0.0, -0.5])
    assert np.isnan(x[1])  # the caller's block is not changed
    longer = np.full(20, np.inf)  # larger than prepared: still cleaned
    np.testing.assert_array_equal(guard.process(longer), np.zeros(20))


def test_a_stream_counts_its_bad_samples_and_warns_once_at_its_end(caplog):
    blocks = [AudioBlock(np.full((RATE, 2), 0.1, np.float32), RATE, s) for s in range(3)]
    blocks[1].samples[8000, 1] = np.nan  # 1.5 s
    blocks[2].samples[:10, 0] = np.inf
    guard = StreamGuard("speech.wav")
    out = []
    for block in guard.blocks(iter(blocks)):
        assert not _warnings(caplog)  # nothing until the stream ends
        out.append(block.samples)
    assert np.all(np.isfinite(np.concatenate(out)))
    assert guard.replaced == 11 and guard.first_bad_s == pytest.approx(1.5)
    assert _warnings(caplog) == [
        "warning: speech.wav: 11 bad samples (not a number, or beyond +40 dBFS) replaced by "
        "silence, the first at 1.50 s"
    ]


def test_a_clean_stream_says_nothing(caplog, long_speech):
    assert np.all(np.isfinite(read_audio(long_speech.path).samples))
    assert not _warnings(caplog)


@pytest.mark.parametrize("kind", BAD_SAMPLES)
def test_files_arrive_with_bad_samples_silenced(caplog, damaged_copy, long_speech, kind):
    damaged, zeroed = damaged_copy(long_speech.path, {6.9: BAD_SAMPLES[kind], -5 / RATE: np.nan})
    expected = read_audio(zeroed).samples
    np.testing.assert_array_equal(read_audio(damaged).samples, expected)
    streamed = [b.samples for b in iter_audio_file(damaged, block_frames=1000)]
    np.testing.assert_array_equal(np.concatenate(streamed), expected)
    assert (
        _warnings(caplog)
        == [
            f"warning: {damaged}: 2 bad samples (not a number, or beyond +40 dBFS) replaced by "
            "silence, the first at 6.90 s"
        ]
        * 2
    )  # once per reading


def test_uploads_arrive_with_bad_samples_silenced(caplog, damaged_copy, long_speech):
    damaged, zeroed = damaged_copy(long_speech.path, {1.0: np.inf})
    upload = open_sound_file(io.BytesIO(damaged.read_bytes()), "upload.wav")
    samples = np.concatenate([b.samples for b in iter_sound_file(upload, "upload.wav")])
    np.testing.assert_array_equal(samples, read_audio(zeroed).samples)
    assert len(_warnings(caplog)) == 1 and "upload.wav: 1 bad sample " in _warnings(caplog)[0]


def test_int_pcm_passes_the_guard_unchanged():
    """stdin and the browser's socket carry 16-bit PCM, which cannot be bad: its extremes stay."""
    pcm = np.array([-32768, -1, 0, 1, 32767] * 2, "<i2")
    block = pcm_s16le_block(pcm.tobytes(), RATE, 2)
    np.testing.assert_array_equal(block.samples, pcm.reshape(-1, 2) / 32768.0)


def test_the_microphone_arrives_with_bad_samples_silenced(caplog, standin_card):
    signal = np.full(2 * RATE, 0.1, np.float32)
    signal[[100, 5000, 9000, 12000]] = list(BAD_SAMPLES.values())
    standin_card(signal, RATE)
    heard = np.concatenate([b.samples[:, 0] for b in Microphone(duration_s=1.0).blocks()])
    expected = np.where(np.isin(np.arange(RATE), [100, 5000, 9000, 12000]), 0.0, 0.1)
    np.testing.assert_array_equal(heard, expected.astype(np.float32))
    assert len(_warnings(caplog)) == 1 and "stand-in" in _warnings(caplog)[0]
    assert "4 bad samples" in _warnings(caplog)[0] and "first at 0.01 s" in _warnings(caplog)[0]
