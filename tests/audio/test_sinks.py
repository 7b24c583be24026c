"""The sinks: files with tags, raw PCM, the sound card (a stand-in, and the
real no-device error)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from openhear.audio.block import AudioBlock
from openhear.audio.sinks import DeviceSink, FileSink, RawSink
from openhear.errors import DeviceError, OpenhearError

RATE = 22050


def _blocks():
    t = np.arange(RATE) / RATE
    x = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return x, [AudioBlock.from_mono(x[i : i + 1000], RATE, i / RATE) for i in range(0, RATE, 1000)]


def test_file_sink_writes_the_blocks_in_order_with_tags(tmp_path):
    x, blocks = _blocks()
    sink = FileSink(tmp_path / "out.flac", RATE, {"comment": "made here"})
    for block in blocks:
        sink.write(block)
    sink.close()
    with sf.SoundFile(tmp_path / "out.flac") as f:
        assert f.samplerate == RATE and f.comment == "made here"
        np.testing.assert_allclose(f.read(dtype="float32"), x, atol=1 / 32767)


def test_file_sink_refuses_a_bad_path_in_one_line(tmp_path):
    with pytest.raises(OpenhearError, match="cannot write") as caught:
        FileSink(tmp_path / "missing" / "out.wav", RATE)
    assert "\n" not in str(caught.value)


def test_raw_sink_writes_s16le(tmp_path):
    x, blocks = _blocks()
    stream = io.BytesIO()
    sink = RawSink(stream)
    for block in blocks:
        sink.write(block)
    sink.close()
    pcm = np.frombuffer(stream.getvalue(), "<i2")
    np.testing.assert_allclose(pcm / 32767, x, atol=1 / 32767)


def test_device_sink_queues_every_block_then_drains(standin_card):
    card = standin_card(rate=RATE)
    x, blocks = _blocks()
    sink = DeviceSink(RATE)
    for block in blocks:
        sink.write(block)
    sink.close()
    stream = card.streams[0]
    assert stream.started and stream.stopped and stream.closed
    np.testing.assert_array_equal(np.concatenate(stream.written)[:, 0], x)


def test_no_output_device_is_a_one_line_device_error():
    with pytest.raises(DeviceError, match="device") as caught:
        DeviceSink(RATE, "no such speaker")
    assert "\n" not in str(caught.value)
