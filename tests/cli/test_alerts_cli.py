"""`openhear alerts`: a recording, JSON lines, raw PCM on stdin, the microphone, the name in
captions, and every bad input as a one-line error with the right exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from openhear.cli import main

OPENHEAR = str(Path(sys.executable).parent / "openhear")
ALARM = Path(__file__).parents[1] / "data" / "alerts" / "freesound_325367_fire_house_alarm.wav"


def run(capsys, *args):
    code = main(["alerts", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_recording_prints_one_timestamped_line_per_alert(capsys):
    code, out, err = run(capsys, ALARM)
    assert (code, err) == (0, "")
    assert out.splitlines() == ["[0:03.4] SMOKE OR FIRE ALARM  (classifier: Alarm 0.91)"]


def test_json_lines(capsys):
    code, out, _ = run(capsys, ALARM, "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(records) == 1
    r = records[0]
    assert (r["type"], r["sound"], r["priority"], r["life_safety"]) == (
        "alert",
        "smoke",
        "life_safety",
        True,
    )
    assert 3.28 < r["time_s"] < 6.28 and r["start_s"] <= r["time_s"]


def test_a_recording_without_alerts_says_so(capsys, noise_clip):
    code, out, err = run(capsys, noise_clip.path)
    assert (code, out) == (0, "")
    assert err == f"openhear: no alerts in {noise_clip.path} (10.0 s)\n"
    assert run(capsys, noise_clip.path, "--quiet")[1:] == ("", "")


def test_list_sounds(capsys):
    code, out, _ = run(capsys, "--list-sounds")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:2] == ["smoke", "life_safety"]
    assert {line.split()[0] for line in lines} >= {"co", "doorbell", "knock", "baby", "name"}


def test_stdin_stereo_pcm_at_44_1_khz():
    audio, rate = sf.read(ALARM, dtype="float32")
    from openhear.audio.resample import resample

    x = resample(audio, rate, 44100)
    pcm = (np.clip(np.stack([x, x], 1), -1, 1) * 32767).astype("<i2").tobytes()
    proc = subprocess.run(
        [OPENHEAR, "alerts", "-", "--rate", "44100", "--channels", "2", "--json"],
        input=pcm,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["sound"] for line in proc.stdout.decode().splitlines()] == ["smoke"]
    assert proc.stderr == b""


def test_live_microphone(capsys, standin_card):
    """The stand-in card plays the alarm, then its stream ends as an unplugged device would."""
    audio, rate = sf.read(ALARM, dtype="float32")
    standin_card(audio, rate)
    code, out, err = run(capsys, "--live")
    assert "SMOKE OR FIRE ALARM" in out and out.count("\n") == 1
    assert out.startswith("[") and out[9] == "]"  # wall-clock [HH:MM:SS]
    assert err.splitlines()[0].startswith("openhear: listening on stand-in for smoke, co, siren")
    assert code == 1 and err.splitlines()[-1].startswith("openhear: error: the microphone")


@pytest.mark.slow
def test_name_in_captions_raises_the_name_alert(capsys, manifest):
    u = next(u for u in manifest if u.id == "cmu_arctic_aew_a0002")  # "... apologized Whittemore."
    code, out, _ = run(capsys, u.path, "--name", "Whittemore", "--sounds", "name", "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["sound"] for r in records] == ["name"]
    assert (
        records[0]["detail"].startswith('"whittemore" in "') and records[0]["priority"] == "urgent"
    )
    assert 2.5 < records[0]["start_s"] < u.duration_s


@pytest.mark.slow
def test_live_name_runs_captions_alongside_on_their_own_thread(capsys, standin_card, manifest):
    """The microphone feeds the detector and, through the caption thread, the name spotter."""
    u = next(u for u in manifest if u.id == "cmu_arctic_aew_a0002")  # "... case, Tom, apologized"
    audio, rate = sf.read(u.path, dtype="float32")
    standin_card(np.concatenate([audio, np.zeros(rate, np.float32)]), rate)
    # live decoding depends on timing (decodes are skipped while behind): a name Whisper always
    # spells the same way, unlike "Whittemore", which it heard as "Whitmore" in one live run
    code, out, err = run(capsys, "--live", "--name", "Tom", "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["sound"] for r in records] == ["name"], (out, err)
    assert "wall_time" in records[0] and records[0]["detail"].startswith('"tom"')
    assert code == 1 and "the microphone" in err.splitlines()[-1]  # the stand-in's stream ended


def make_bad(tmp_path: Path, kind: str) -> list[str]:
    if kind == "missing_file":
        return [str(tmp_path / "nothing.wav")]
    if kind == "text_file":
        (tmp_path / "x.wav").write_text("not audio\n" * 50)
        return [str(tmp_path / "x.wav")]
    if kind == "missing_model":
        return [str(ALARM), "--model", str(tmp_path / "none.tflite")]
    if kind == "corrupt_model":
        (tmp_path / "bad.tflite").write_bytes(b"\x00" * 4096)
        return [str(ALARM), "--model", str(tmp_path / "bad.tflite")]
    if kind == "low_rate":
        sf.write(tmp_path / "low.wav", np.zeros(6000, np.float32), 6000)
        return [str(tmp_path / "low.wav")]
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind,message",
    [
        ("missing_file", "no such file"),
        ("text_file", "cannot read"),
        ("missing_model", "no YAMNet model at"),
        ("corrupt_model", "cannot load"),
        ("low_rate", "8000 Hz or more"),
    ],
)
def test_bad_input_is_a_one_line_error_with_exit_1(capsys, tmp_path, kind, message):
    code, out, err = run(capsys, *make_bad(tmp_path, kind))
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and err.startswith("openhear: error: ") and message in err


@pytest.mark.parametrize(
    "args,message",
    [
        ([], "give an audio FILE"),
        ([str(ALARM), "--live"], "give an audio FILE"),
        ([str(ALARM), "--sounds", "smoke,unicorn"], "unknown sound 'unicorn'"),
        ([str(ALARM), "--sounds", "name"], "needs --name or --words"),
        ([str(ALARM), "--name", " "], "--name needs a name"),
        ([str(ALARM), "--words", ", ,"], "--words needs at least one word"),
        (["-", "--rate", "fast"], "--rate must be a whole number"),
        ([str(ALARM), "--language", "fr"], "goes with --name or --words"),
    ],
)
def test_usage_errors_exit_2(capsys, args, message):
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and message in err


@pytest.mark.slow
def test_the_name_watch_listens_in_the_language_asked_for(
    capsys, monkeypatch, multilingual_data_dir, spoken
):
    from spoken_languages import SPEECH

    monkeypatch.setenv("OPENHEAR_DATA_DIR", str(multilingual_data_dir))
    said = spoken("fr", SPEECH["fr"][0])  # "... un croissant ...": tiny.en hears no such word
    code, out, _ = run(capsys, said, "--words", "croissant", "--language", "fr", "--json")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["sound"] for r in records] == ["name"], out
    assert records[0]["detail"].startswith('"croissant" in "')


def test_a_language_the_name_watch_cannot_hear_is_one_line(
    capsys, monkeypatch, multilingual_data_dir
):
    monkeypatch.setenv("OPENHEAR_DATA_DIR", str(multilingual_data_dir))
    code, out, err = run(capsys, ALARM, "--name", "Tom", "--language", "xx")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "language 'xx' is not one whisper-base hears" in err, err


def test_a_bad_rate_on_stdin_is_one_line():
    proc = subprocess.run(
        [OPENHEAR, "alerts", "-", "--rate", "4000"],
        input=b"\x00" * 8000,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 1 and proc.stdout == b""
    assert proc.stderr.decode() == (
        "openhear: error: sound alerts need audio sampled at 8000 Hz or more (got 4000 Hz)\n"
    )
