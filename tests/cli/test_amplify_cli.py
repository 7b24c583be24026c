"""`openhear amplify` on files: stereo output per ear, presets, and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import welch

from openhear.cli import main
from openhear.dsp.testsignals import speech_shaped_noise
from openhear.fitting.audiogram import load_listener, preset
from openhear.fitting.profile import fit_listener, profile_to_dict, write_profile

RATE = 22050


def _fails(capsys, argv, match, code=1):
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("openhear: error:") and match in err, err


def _band_gain(x, y, freq):
    f, px = welch(x, RATE, nperseg=4096)
    _, py = welch(y, RATE, nperseg=4096)
    near = (f > freq * 0.95) & (f < freq * 1.05)
    return 10 * np.log10(py[near].sum() / px[near].sum())


def test_amplify_a_recording_per_ear(tmp_path, capsys):
    x = speech_shaped_noise(65.0, 2.0, RATE, seed=4)
    sf.write(tmp_path / "in.wav", x, RATE, subtype="FLOAT")
    csv = tmp_path / "a.csv"
    csv.write_text(
        "frequency,left,right\n250,10,40\n500,10,40\n1000,10,45\n2000,15,55\n4000,20,60\n8000,20,60\n"
    )
    profile = fit_listener(load_listener(csv))
    write_profile(profile, tmp_path / "p.json")
    assert (
        main(
            [
                "amplify",
                str(tmp_path / "in.wav"),
                "-o",
                str(tmp_path / "out.wav"),
                "--profile",
                str(tmp_path / "p.json"),
            ]
        )
        == 0
    )
    y, rate = sf.read(tmp_path / "out.wav", dtype="float32")
    assert rate == RATE and y.shape == (len(x), 2)
    for ear, col in ((profile.left, 0), (profile.right, 1)):
        band = ear.bands[7]  # 4 kHz
        assert (
            abs(_band_gain(x[RATE // 2 :], y[RATE // 2 :, col], band.center_hz) - band.gain_db)
            < 3.0
        )
    assert "wrote" in capsys.readouterr().out


def test_amplify_with_a_preset_and_sliders(long_speech, tmp_path):
    out = tmp_path / "out.wav"
    assert (
        main(
            [
                "amplify",
                str(long_speech.path),
                "-o",
                str(out),
                "--audiogram",
                "N3",
                "--balance",
                "6",
                "--input-level",
                "60",
                "-q",
            ]
        )
        == 0
    )
    y, _ = sf.read(out)
    left, right = np.sqrt(np.mean(y**2, axis=0))
    assert 20 * np.log10(right / left) == pytest.approx(6.0, abs=0.5)  # balance +6 dB: right louder


def test_bad_input_is_a_one_line_error(tmp_path, capsys):
    good = tmp_path / "p.json"
    write_profile(fit_listener(preset("N2")), good)
    wav = tmp_path / "in.wav"
    sf.write(wav, np.zeros(1000, np.float32), 16000)
    out = str(tmp_path / "o.wav")
    bad = profile_to_dict(fit_listener(preset("N2")))
    bad["left"][0]["ratio"] = "high"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    _fails(
        capsys, ["amplify", str(wav), "-o", out, "--profile", str(tmp_path / "bad.json")], "ratio"
    )
    (tmp_path / "empty.json").write_text("")
    _fails(
        capsys,
        ["amplify", str(wav), "-o", out, "--profile", str(tmp_path / "empty.json")],
        "is empty",
    )
    _fails(capsys, ["amplify", str(good), "-o", out, "--profile", str(good)], "cannot read")
    _fails(
        capsys,
        ["amplify", str(tmp_path / "none.wav"), "-o", out, "--profile", str(good)],
        "no such file",
    )
    _fails(
        capsys, ["amplify", str(wav), "-o", out, "--profile", str(good), "--tone", "30"], "tone_db"
    )
    _fails(capsys, ["amplify", str(wav), "--profile", str(good)], "needs -o", code=2)
    _fails(
        capsys,
        ["amplify", str(wav), "-o", out, "--live", "--profile", str(good)],
        "not both",
        code=2,
    )
