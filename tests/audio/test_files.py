"""Audio IO: blocks carry their rate, bad files are one-line errors, PCM
streams reassemble exactly."""

import io
import os

import numpy as np
import pytest
import soundfile as sf
from recorded_containers import RECORDED_FORMATS, encode_recording

from openhear.audio.block import AudioBlock
from openhear.audio.containers import ContainerFile
from openhear.audio.files import (
    iter_audio_file,
    iter_pcm_s16le,
    iter_sound_file,
    open_sound_file,
    read_audio,
)
from openhear.audio.outputs import AudioFileWriter, encode_audio
from openhear.audio.resample import StreamResampler, resample
from openhear.errors import AudioInputError, OpenhearError


def test_read_real_speech(long_speech):
    block = read_audio(long_speech.path)
    assert block.sample_rate == 16000 and block.channels == 1
    assert block.duration_s == pytest.approx(long_speech.duration_s, abs=0.01)
    assert 0.01 < np.sqrt(np.mean(block.samples**2)) < 0.5


def test_streamed_blocks_equal_whole_file(long_speech):
    whole = read_audio(long_speech.path)
    blocks = list(iter_audio_file(long_speech.path, block_frames=1234))
    assert np.array_equal(np.concatenate([b.samples for b in blocks]), whole.samples)
    assert blocks[3].start_s == pytest.approx(3 * 1234 / 16000)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p, "no such file"),
        (lambda p: (p.mkdir(), p)[1], "is a directory"),
        (lambda p: (p.write_bytes(b""), p)[1], "is empty"),
        (lambda p: (p.write_text("hello, I am not audio\n" * 20), p)[1], "cannot read"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path, make, message):
    path = make(tmp_path / "bad.wav")
    with pytest.raises(AudioInputError, match=message) as err:
        read_audio(path)
    assert "\n" not in str(err.value)


def test_zero_length_wav(tmp_path):
    path = tmp_path / "zero.wav"
    sf.write(path, np.zeros((0, 1), np.float32), 16000)
    with pytest.raises(AudioInputError, match="zero length"):
        read_audio(path)


def test_pcm_stream_round_trip():
    rng = np.random.default_rng(0)
    pcm = (rng.standard_normal((4321, 2)) * 3000).astype("<i2")
    blocks = list(
        iter_pcm_s16le(io.BytesIO(pcm.tobytes() + b"\x01"), 44100, channels=2, block_frames=1000)
    )
    got = np.concatenate([b.samples for b in blocks])
    assert np.array_equal((got * 32768).round().astype("<i2"), pcm)
    assert all(b.sample_rate == 44100 for b in blocks)


def test_pcm_bad_rate():
    with pytest.raises(OpenhearError, match="--rate"):
        list(iter_pcm_s16le(io.BytesIO(b"\0\0"), 7))


def test_stream_resampler_matches_whole_and_keeps_sine():
    rate_in, rate_out = 44100, 16000
    t = np.arange(rate_in) / rate_in
    x = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32).reshape(-1, 1)
    r = StreamResampler(rate_in, rate_out, 1)
    rng = np.random.default_rng(1)
    out, pos = [], 0
    while pos < len(x):
        n = int(rng.integers(1, 3000))
        out.append(r.process(AudioBlock(x[pos : pos + n], rate_in)).samples)
        pos += n
    out.append(r.flush().samples)
    y = np.concatenate(out)[:, 0]
    assert abs(len(y) - rate_out) <= 2
    whole = resample(x[:, 0], rate_in, rate_out)
    mid = slice(1000, 15000)
    assert np.max(np.abs(y[mid] - whole[mid])) < 1e-3
    # a 1 kHz sine keeps its amplitude: resampling is filtered, not decimated
    assert np.sqrt(np.mean(y[mid] ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)


def test_write_metadata_and_unwritable(tmp_path):
    block = AudioBlock.from_mono(np.zeros(160, np.float32), 16000)
    path = tmp_path / "out.wav"
    with AudioFileWriter(path, 16000, 1, {"comment": "synthetic speech"}) as out:
        out.write(block.samples)
    with sf.SoundFile(path) as f:
        assert f.samplerate == 16000 and f.comment == "synthetic speech"
    with sf.SoundFile(io.BytesIO(encode_audio(block, "WAV", "PCM_16", {"title": "a"}))) as f:
        assert f.title == "a" and f.frames == 160
    with pytest.raises(OpenhearError, match="cannot write"):
        AudioFileWriter(tmp_path / "missing-dir" / "x.wav", 16000, 1)


def test_truncated_wav_is_reported(tmp_path, long_speech):
    data = long_speech.path.read_bytes()
    path = tmp_path / "cut.wav"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioInputError, match="truncated"):
        read_audio(path)


def test_an_upload_is_checked_like_a_file_and_named_by_the_caller(long_speech):
    """A file object (an upload) that is cut off or not audio gets the same one-line errors as a
    path, naming it as the caller does, never by the object's repr."""
    data = long_speech.path.read_bytes()
    with pytest.raises(AudioInputError, match=r"^talk\.wav is truncated"):
        open_sound_file(io.BytesIO(data[: len(data) // 2]), "talk.wav")
    with pytest.raises(AudioInputError) as info:
        open_sound_file(io.BytesIO(b"not audio" * 100), "talk.wav")
    assert str(info.value) == "cannot read talk.wav as audio (Format not recognised.)"
    whole = io.BytesIO(data)
    with open_sound_file(whole, "talk.wav") as f:  # the check leaves the file where it was
        assert f.frames / f.samplerate == pytest.approx(long_speech.duration_s, abs=0.01)


@pytest.mark.parametrize("suffix", sorted(RECORDED_FORMATS))
def test_browser_and_phone_recordings_are_read_in_blocks(long_speech, suffix):
    """webm/ogg with opus and m4a/mp4/aac (what MediaRecorder and phones make) decode through
    PyAV behind the same reader: the whole speech comes back, in blocks, at the encoder's rate."""
    speech = read_audio(long_speech.path)
    data = encode_recording(speech.samples[:, 0], speech.sample_rate, suffix)
    f = open_sound_file(io.BytesIO(data), f"voice.{suffix}")
    rate = f.samplerate
    assert rate == RECORDED_FORMATS[suffix][2]
    blocks = list(iter_sound_file(f, f"voice.{suffix}", block_frames=rate // 2))
    assert all(len(b.samples) == rate // 2 for b in blocks[:-1])
    assert blocks[5].start_s == pytest.approx(2.5)
    decoded = np.concatenate([b.samples[:, 0] for b in blocks])
    # codec padding adds tens of ms at most; the level is the speech's (a lossy copy of it)
    assert len(decoded) / rate == pytest.approx(speech.duration_s, abs=0.1)
    rms = np.sqrt(np.mean(speech.samples**2))
    assert np.sqrt(np.mean(decoded**2)) == pytest.approx(rms, rel=0.1)


def test_damaged_recordings_are_one_line_errors(long_speech):
    speech = read_audio(long_speech.path)
    data = encode_recording(speech.samples[:, 0], speech.sample_rate, "m4a")
    with pytest.raises(AudioInputError, match=r"^cannot read voice\.m4a as audio \(.+\)$"):
        open_sound_file(io.BytesIO(data[:300]), "voice.m4a")
    with pytest.raises(AudioInputError, match=r"^cannot read junk\.webm as audio"):
        open_sound_file(io.BytesIO(b"\x1a\x45\xdf\xa3" + bytes(2000)), "junk.webm")


def test_recordings_pass_the_bad_sample_guard(long_speech, caplog):
    """A float AAC stream can carry NaN like a float WAV can: it becomes silence, with the
    warning."""
    speech = read_audio(long_speech.path)
    samples = speech.samples[:, 0].copy()
    data = encode_recording(samples, speech.sample_rate, "webm")
    f = open_sound_file(io.BytesIO(data), "voice.webm")
    assert isinstance(f, ContainerFile)
    real = f._decoded

    def poisoned():
        for i, chunk in enumerate(real()):
            if i == 10:
                chunk = chunk.copy()
                chunk[3] = np.nan
            yield chunk

    f._decoded = poisoned
    decoded = np.concatenate([b.samples for b in iter_sound_file(f, "voice.webm")])
    assert np.isfinite(decoded).all()
    assert "voice.webm: 1 bad sample" in caplog.text


def test_file_names_that_are_not_utf8_are_read(tmp_path):
    """A name from an old disk or archive (Latin-1 bytes) reaches Python with surrogates, which
    soundfile could not encode as UTF-8: an internal error from every command. Paths go as bytes."""
    name = tmp_path / os.fsdecode(b"caf\xe9.wav")
    sf.write(os.fsencode(name), np.full(1600, 0.25, np.float32), 16000)
    back = read_audio(name)
    assert back.sample_rate == 16000 and back.samples.shape == (1600, 1)
    np.testing.assert_allclose(back.samples, 0.25, atol=1e-4)
