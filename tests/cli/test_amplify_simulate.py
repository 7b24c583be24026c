"""`openhear simulate`: MSBG hearing-loss simulation per ear, and what amplification gives back."""

from __future__ import annotations

import numpy as np
import soundfile as sf
from scipy.signal import welch

from openhear.cli import main


def _high_band_db(x, rate):
    f, p = welch(x, rate, nperseg=2048)
    return 10 * np.log10(p[(f > 2000) & (f < 5000)].sum() + 1e-20)


def test_simulated_loss_removes_highs_and_amplification_restores_them(
    long_speech, tmp_path, capsys
):
    x, rate = sf.read(long_speech.path, dtype="float32")
    clip = tmp_path / "clip.wav"
    sf.write(clip, x[int(0.5 * rate) : int(1.5 * rate)], rate)
    heard, amplified, aided = tmp_path / "heard.wav", tmp_path / "amp.wav", tmp_path / "aided.wav"
    assert (
        main(["simulate", str(clip), "-o", str(heard), "--audiogram", "N3", "--input-level", "65"])
        == 0
    )
    assert (
        main(
            [
                "amplify",
                str(clip),
                "-o",
                str(amplified),
                "--audiogram",
                "N3",
                "--input-level",
                "65",
                "-q",
            ]
        )
        == 0
    )
    assert main(["simulate", str(amplified), "-o", str(aided), "--audiogram", "N3", "-q"]) == 0
    assert "as heard by N3" in capsys.readouterr().out

    original, _ = sf.read(clip, dtype="float32")
    unaided, r = sf.read(heard, dtype="float32")
    with_aid, _ = sf.read(aided, dtype="float32")
    assert r == rate and unaided.shape == (len(original), 2)
    np.testing.assert_array_equal(unaided[:, 0], unaided[:, 1])  # same loss both ears, mono input
    scale = 10 ** ((65 - 100) / 20) / np.sqrt(np.mean(original**2))
    loss = _high_band_db(original * scale, rate) - _high_band_db(unaided[:, 0], rate)
    assert loss > 10.0  # a moderate high-frequency loss takes the highs away
    assert _high_band_db(with_aid[:, 0], rate) > _high_band_db(unaided[:, 0], rate) + 10.0


def test_bad_audiogram_is_a_one_line_error(long_speech, tmp_path, capsys):
    assert (
        main(
            ["simulate", str(long_speech.path), "-o", str(tmp_path / "o.wav"), "--audiogram", "Q1"]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such audiogram file or preset" in err
