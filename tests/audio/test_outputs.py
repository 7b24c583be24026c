"""Output paths checked before work, and audio files that replace OUT only once complete."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf

from openhear.audio.outputs import (
    AudioFileWriter,
    check_audio_output,
    check_output_file,
    writable_audio_suffixes,
)
from openhear.errors import OpenhearError

RATE = 16000


def _one_line_error(check, path, match):
    with pytest.raises(OpenhearError, match=match) as caught:
        check(path)
    assert "\n" not in str(caught.value)
    return str(caught.value)


@pytest.mark.parametrize("check", [check_output_file, check_audio_output])
def test_bad_places_for_an_output_are_named(tmp_path, check):
    (tmp_path / "a-file").write_text("x")
    assert _one_line_error(check, tmp_path, "is a directory").startswith(str(tmp_path))
    _one_line_error(check, tmp_path / "missing" / "out.wav", "no such directory .*missing")
    _one_line_error(check, tmp_path / "a-file" / "out.wav", "a-file is not a directory")


@pytest.mark.parametrize("check", [check_output_file, check_audio_output])
def test_a_read_only_directory_is_refused(tmp_path, make_read_only, check):
    locked = make_read_only(tmp_path / "locked")
    _one_line_error(check, locked / "out.wav", "permission denied")


def test_good_places_pass(tmp_path):
    assert check_output_file(tmp_path / "captions.srt") == tmp_path / "captions.srt"
    for suffix in (".wav", ".flac", ".WAV", ".ogg"):
        assert check_audio_output(tmp_path / f"out{suffix}") == tmp_path / f"out{suffix}"


@pytest.mark.parametrize("name, shown", [("out.xyz", "'.xyz'"), ("out", "no audio format")])
def test_an_unknown_audio_suffix_is_named_with_the_formats_we_write(tmp_path, name, shown):
    message = _one_line_error(check_audio_output, tmp_path / name, "cannot write")
    assert shown in message and ".wav, .flac, .ogg" in message
    assert ".wav" in writable_audio_suffixes() and ".flac" in writable_audio_suffixes()


def _tone(frames: int) -> np.ndarray:
    t = np.arange(frames) / RATE
    return np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.25 * np.sin(2 * np.pi * 660 * t)], 1)


def test_the_writer_streams_blocks_and_replaces_out_only_when_done(tmp_path):
    out = tmp_path / "out.flac"
    out.write_bytes(b"the previous result")
    x = _tone(RATE)
    with AudioFileWriter(out, RATE, 2, {"comment": "made here"}) as writer:
        for i in range(0, len(x), 1000):
            writer.write(x[i : i + 1000])
            assert out.read_bytes() == b"the previous result"  # OUT untouched while writing
    assert writer.frames == len(x)
    with sf.SoundFile(out) as f:
        assert f.samplerate == RATE and f.channels == 2 and f.comment == "made here"
        np.testing.assert_allclose(f.read(dtype="float32"), x, atol=1 / 32767)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.flac"]


def test_a_failure_half_way_leaves_out_as_it_was_and_no_temporary_file(tmp_path):
    out = tmp_path / "out.wav"
    out.write_bytes(b"the previous result")
    with pytest.raises(RuntimeError, match="input damaged"):
        with AudioFileWriter(out, RATE, 2) as writer:
            writer.write(_tone(1000))
            raise RuntimeError("input damaged")
    assert out.read_bytes() == b"the previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]


def test_the_writer_checks_out_before_making_anything(tmp_path):
    with pytest.raises(OpenhearError, match="is a directory"):
        AudioFileWriter(tmp_path, RATE, 2)
    with pytest.raises(OpenhearError, match="unknown audio format"):
        AudioFileWriter(tmp_path / "out.txt", RATE, 2)
    assert list(tmp_path.iterdir()) == []


def test_samples_beyond_full_scale_are_clipped(tmp_path):
    out = tmp_path / "loud.wav"
    with AudioFileWriter(out, RATE, 2) as writer:
        writer.write(np.full((100, 2), 3.0, np.float32))
    assert np.all(sf.read(out, dtype="int16")[0] == 32767)


def test_a_file_name_that_is_not_utf8_is_written(tmp_path):
    """Latin-1 bytes in OUT (surrogates in Python) used to stop soundfile with an internal error."""
    out = tmp_path / os.fsdecode(b"caf\xe9.flac")
    with AudioFileWriter(out, RATE, 2) as writer:
        writer.write(np.zeros((RATE, 2), np.float32))
    assert [os.fsencode(p.name) for p in tmp_path.iterdir()] == [b"caf\xe9.flac"]
    assert sf.info(os.fsencode(out)).frames == RATE
