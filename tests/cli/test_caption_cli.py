"""`openhear caption`: recordings to captions in every format, stdin, --realtime, and every bad
input."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import srt
import webvtt

from openhear.asr.wer import wer
from openhear.cli import build_parser, main

OPENHEAR = str(Path(sys.executable).parent / "openhear")
SHORT_ID = "cmu_arctic_aew_a0003"  # "For the twentieth time that evening the two men shook hands."


def run(capsys, *args):
    code = main(["caption", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def utterance(manifest, uid):
    return next(u for u in manifest if u.id == uid)


def test_a_recording_to_plain_text(capsys, long_speech):
    code, out, err = run(capsys, long_speech.path)
    assert code == 0 and err == ""
    assert wer(long_speech.text, out) <= 0.06, out


def test_vocabulary_option_spells_a_name_as_given(capsys, manifest):
    path = utterance(manifest, "cmu_arctic_aew_a0002").path  # "... apologized Whittemore."
    code, plain, _ = run(capsys, str(path))
    assert code == 0 and "Whittemore" not in plain
    code, biased, _ = run(
        capsys, str(path), "--vocabulary", "Ramipril,Whittemore", "--vocabulary", "Okafor"
    )
    assert code == 0 and "Whittemore" in biased


@pytest.mark.parametrize("container,fmt", [("flac", "srt"), ("ogg", "vtt"), ("mp3", "json")])
def test_every_container_to_every_format(capsys, tmp_path, manifest, container, fmt):
    u = utterance(manifest, SHORT_ID)
    audio, rate = sf.read(u.path, dtype="float32")
    source = tmp_path / f"speech.{container}"
    sf.write(source, audio, rate)
    out_path = tmp_path / f"captions.{fmt}"
    code, out, err = run(capsys, source, "-f", fmt, "-o", out_path, "--quiet")
    assert (code, out, err) == (0, "", "")
    text = out_path.read_text()
    if fmt == "srt":
        heard = " ".join(s.content for s in srt.parse(text))
    elif fmt == "vtt":
        heard = " ".join(c.text for c in webvtt.from_buffer(io.StringIO(text)))
    else:
        heard = json.loads(text)["text"]
    assert wer(u.text, heard) <= 0.15, heard


def test_realtime_prints_each_event_with_its_emission_time(capsys, manifest):
    u = utterance(manifest, "ljspeech_LJ002-0020")  # 1.5 s: "In eighteen thirteen"
    code, out, _ = run(capsys, u.path, "--realtime")
    assert code == 0
    lines = out.splitlines()
    finals = [line for line in lines if "] final " in line]
    assert finals and all(line.startswith("[") for line in lines)
    emitted = [float(line[1:].split("s]")[0]) for line in lines]
    assert (
        emitted == sorted(emitted) and emitted[-1] >= u.duration_s - 0.1
    )  # paced: not before the audio ends
    assert wer(u.text, " ".join(line.split(maxsplit=3)[-1] for line in finals)) <= 0.34


def test_stdin_pcm_prints_finals_as_plain_lines(manifest):
    u = utterance(manifest, SHORT_ID)
    audio, rate = sf.read(u.path, dtype="float32")
    stereo = np.stack([audio, audio], axis=1)
    pcm = (np.clip(stereo, -1, 1) * 32767).astype("<i2").tobytes()
    proc = subprocess.run(
        [OPENHEAR, "caption", "-", "--rate", str(rate), "--channels", "2", "--verbose"],
        input=pcm,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert "\033" not in out and "\r" not in out  # piped: no in-place provisional line
    assert wer(u.text, out) <= 0.15, out
    err = proc.stderr.decode()  # --verbose: our lines, not faster-whisper's one per decode
    assert "loaded Whisper model" in err and "Processing audio" not in err, err


def make_bad_input(tmp_path: Path, kind: str, long_speech) -> Path:
    path = tmp_path / "input.wav"
    if kind == "missing":
        return tmp_path / "nothing-here.wav"
    if kind == "directory":
        return tmp_path
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text_named_wav":
        path.write_text("this is not audio\n" * 20)
    elif kind == "truncated":
        data = long_speech.path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "zero_length":
        sf.write(path, np.zeros((0, 1), np.float32), 16000)
    return path


@pytest.mark.parametrize(
    "kind", ["missing", "directory", "empty", "text_named_wav", "truncated", "zero_length"]
)
def test_bad_input_files_are_one_line_errors(capsys, tmp_path, long_speech, kind):
    code, out, err = run(capsys, make_bad_input(tmp_path, kind, long_speech))
    assert code == 1 and out == ""
    assert err.startswith("openhear: error: ") and err.count("\n") == 1, err


@pytest.mark.parametrize(
    "args",
    [
        ["-f", "docx"],
        ["--model", "/nonexistent/whisper"],
        ["-o", "/nonexistent-dir/out.srt"],
        ["-o", "{file}/out.srt"],
        ["--live", "--device", "9999"],
        ["--live", "--input-device", "9999"],
        [],
        ["--realtime", "-"],
        ["--vocabulary-file", "/nonexistent/names.txt"],
        ["--profanity-mask", "some"],
    ],
    ids=[
        "unknown-format",
        "bad-model",
        "output-dir-missing",
        "output-under-a-file",
        "no-such-input-device",
        "no-such-input-device-by-its-long-name",
        "nothing-to-caption",
        "realtime-stdin",
        "missing-vocabulary-file",
        "unknown-profanity-mask",
    ],
)
def test_bad_options_are_one_line_errors(capsys, tmp_path, long_speech, args):
    (tmp_path / "file").write_text("x")
    args = [a.replace("{file}", str(tmp_path / "file")) for a in args]
    if "--live" not in args and "-" not in args and args != []:
        args = [long_speech.path, *args]
    code, out, err = run(capsys, *args)
    assert code in (1, 2) and out == ""
    assert err.startswith("openhear: error: ") and err.count("\n") == 1, err


def test_unwritable_output_file_is_a_one_line_error(capsys, tmp_path, long_speech):
    target = tmp_path / "locked"
    target.mkdir()
    code, _, err = run(capsys, long_speech.path, "-o", target)
    assert code == 1 and err.count("\n") == 1 and "directory" in err


@pytest.mark.parametrize("rate", ["0", "abc", "5"])
def test_wrong_rate_for_stdin_is_a_one_line_error(rate):
    proc = subprocess.run(
        [OPENHEAR, "caption", "-", "--rate", rate],
        input=b"\x00" * 3200,
        capture_output=True,
        timeout=60,
    )
    err = proc.stderr.decode()
    assert proc.returncode in (1, 2) and "Traceback" not in err and err.count("\n") == 1, err
    assert "--rate" in err


@pytest.mark.parametrize("kind", ["missing", "truncated"])
def test_bad_input_in_a_real_process(tmp_path, long_speech, kind):
    proc = subprocess.run(
        [OPENHEAR, "caption", str(make_bad_input(tmp_path, kind, long_speech))],
        capture_output=True,
        timeout=60,
    )
    err = proc.stderr.decode()
    assert (
        proc.returncode == 1
        and proc.stdout == b""
        and err.count("\n") == 1
        and "Traceback" not in err
    )


def test_bad_model_in_a_real_process(tmp_path, long_speech):
    proc = subprocess.run(
        [OPENHEAR, "caption", str(long_speech.path), "--model", str(tmp_path)],
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    err = proc.stderr.decode()
    assert proc.returncode == 1 and err.startswith("openhear: error: ") and err.count("\n") == 1, (
        err
    )


@pytest.mark.parametrize("command", ["caption", "alerts", "converse", "amplify"])
def test_the_microphone_is_chosen_with_input_device_on_every_command(command):
    """One name across commands (`--device` stays an alias where it was the name)."""
    needs = ["--audiogram", "N3"] if command == "amplify" else []
    args = build_parser().parse_args([command, "--live", "--input-device", "2", *needs])
    chosen = args.device if command in ("caption", "alerts") else args.input_device
    assert chosen == "2"
    if command in ("caption", "alerts"):
        assert build_parser().parse_args([command, "--live", "--device", "3"]).device == "3"
