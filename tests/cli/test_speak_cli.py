"""`openhear speak`: files, raw PCM, stdin streaming, and every kind of bad input
as a one-line error."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from openhear.cli import main

OPENHEAR = str(Path(sys.executable).with_name("openhear"))


def _fails_with_one_line(capsys, argv, match, code=1):
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("openhear: error:"), err
    assert match in err, err


@pytest.mark.parametrize("suffix", ["wav", "flac", "ogg", "mp3"])
def test_speak_to_a_file_tagged_as_synthetic(tmp_path, suffix):
    out = tmp_path / f"hello.{suffix}"
    assert main(["speak", "Hello there. How are you today?", "-o", str(out)]) == 0
    with sf.SoundFile(out) as f:
        assert f.samplerate == 22050 and f.channels == 1
        assert f.frames / f.samplerate > 1.0
        assert "Synthetic speech" in f.copy_metadata()["comment"]


def test_info_states_the_raw_format(capsys):
    assert main(["speak", "--info"]) == 0
    out = capsys.readouterr().out
    assert "22050 Hz" in out and "16-bit little-endian" in out


def test_raw_writes_s16le_at_the_stated_rate(capsysbinary):
    assert main(["speak", "Good morning.", "--raw"]) == 0
    data = capsysbinary.readouterr().out
    pcm = np.frombuffer(data, "<i2")
    assert len(data) % 2 == 0
    assert 0.4 < pcm.size / 22050 < 3.0
    assert np.abs(pcm).max() > 10000


def test_stdin_speaks_each_line(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"yes please\nno thanks\n")))
    out = tmp_path / "lines.wav"
    assert main(["speak", "-", "-o", str(out), "--pause-ms", "700"]) == 0
    audio, rate = sf.read(out)
    quiet = np.abs(audio) < 1e-3
    longest_gap = max(len(run) for run in "".join("1" if q else "0" for q in quiet).split("0"))
    assert (
        longest_gap / rate > 0.6
    )  # the two lines were spoken as two utterances with the pause between


@pytest.mark.parametrize("text", ["Привет, как дела?", "你好", "Thanks 😀🎉"])
def test_emoji_and_non_latin_script_are_spoken_not_a_crash(tmp_path, text):
    out = tmp_path / "x.wav"
    assert main(["speak", text, "-o", str(out)]) == 0
    assert sf.info(out).frames > 0


def test_control_characters_are_stripped(tmp_path):
    out = tmp_path / "x.wav"
    assert main(["speak", "Hello\x00 \x1b[31mthere\x07", "-o", str(out)]) == 0
    assert sf.info(out).frames > 0


@pytest.mark.parametrize(
    "argv, match",
    [
        (["speak", ""], "the text is empty"),
        (["speak", "   \t"], "the text is empty"),
        (["speak", "\x00\x01\x07"], "no speakable characters"),
        (["speak", "... ???"], "no speakable text"),
        (["speak", "hi", "--voice", "/nonexistent/voice.onnx"], "voice model not found"),
        (["speak", "hi", "--speed", "9"], "out of range"),
        (["speak", "hi", "--output-device", "9999"], "use -o FILE.wav"),
        (["speak", "hi", "-o", "/nonexistent/dir/x.wav"], "cannot write"),
        (["speak", "hi", "-o", "speech.xyz"], "cannot write"),
    ],
)
def test_bad_input_is_a_one_line_error(capsys, tmp_path, argv, match):
    _fails_with_one_line(capsys, argv, match)


def test_no_text_is_a_usage_error(capsys):
    _fails_with_one_line(capsys, ["speak"], "say what to speak", code=2)


def test_invalid_utf8_on_stdin_is_a_one_line_error(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"caf\xe9 au lait\n")))
    _fails_with_one_line(capsys, ["speak", "-", "-o", str(tmp_path / "x.wav")], "not valid UTF-8")
    assert not (tmp_path / "x.wav").exists()


def test_empty_stdin_is_a_one_line_error(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\n\n")))
    _fails_with_one_line(capsys, ["speak", "-", "--raw"], "nothing to say")


def test_one_megabyte_on_stdin_streams_without_reading_it_all():
    psutil = pytest.importorskip("psutil")
    megabyte = b"Please remember to water the plants while I am away.\n" * 20_000
    written = []
    proc = subprocess.Popen(
        [OPENHEAR, "speak", "-", "--raw"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )

    def feed():
        try:
            for i in range(0, len(megabyte), 4096):
                proc.stdin.write(megabyte[i : i + 4096])
                written.append(4096)
            proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        speech = proc.stdout.read(22050 * 2 * 20)  # 20 s of speech
        rss = psutil.Process(proc.pid).memory_info().rss
        consumed = sum(written)
    finally:
        proc.kill()
        proc.wait()
        writer.join(timeout=10)
    assert len(speech) == 22050 * 40
    assert consumed < len(megabyte) / 4  # speech began long before the input was read
    assert (
        rss < 400_000_000
    )  # the voice and one sentence at a time (about 260 MB here), nothing per megabyte


def test_speak_plays_sentence_by_sentence_on_the_output_device(standin_card):
    card = standin_card(rate=48000, input_channels=0)
    assert main(["speak", "Good morning. How are you today?"]) == 0
    (stream,) = card.streams
    assert stream.rate == 22050 and stream.stopped
    assert (
        len(stream.written) == 2
    )  # one write per sentence: the first plays while the second is made
    assert all(w.dtype == np.float32 and w.shape[1] == 1 for w in stream.written)
    assert sum(w.shape[0] for w in stream.written) / 22050 > 1.5
