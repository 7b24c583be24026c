"""`openhear fit`: profiles from presets and files, the chart, and one-line errors for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from openhear.cli import main
from openhear.fitting.audiogram import preset
from openhear.fitting.profile import read_profile

OPENHEAR = str(Path(sys.executable).parent / "openhear")


def fit_in_a_real_process(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([OPENHEAR, "fit", *args], capture_output=True, text=True)


def one_line_error(proc: subprocess.CompletedProcess, match: str) -> None:
    assert proc.returncode == 1, proc.stderr
    err = proc.stderr
    assert err.count("\n") == 1 and err.startswith("openhear: error:") and match in err, err


def _fails(capsys, argv, match, code=1):
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("openhear: error:") and match in err, err


def test_fit_preset_writes_profile_and_chart(tmp_path, capsys):
    profile_path, chart = tmp_path / "p.json", tmp_path / "chart.png"
    assert (
        main(
            [
                "fit",
                "--audiogram",
                "N4",
                "-o",
                str(profile_path),
                "--plot",
                str(chart),
                "--boost",
                "2",
            ]
        )
        == 0
    )
    profile = read_profile(profile_path)
    assert profile.listener == preset("N4")
    assert profile.adjustments.boost_db == 2
    assert len(profile.left.bands) >= 8
    image = mpimg.imread(chart)
    assert (
        image.shape[0] > 300 and image.shape[1] > 2 * image.shape[0] * 0.9
    )  # two charts side by side
    red = (image[..., 0] > 0.7) & (image[..., 1] < 0.3) & (image[..., 2] < 0.3)
    blue = (image[..., 2] > 0.6) & (image[..., 0] < 0.3)
    assert red.sum() > 100 and blue.sum() > 100  # right ear in red, left in blue
    assert "wrote" in capsys.readouterr().out


def test_fit_from_csv_keeps_each_ear(tmp_path):
    csv = tmp_path / "mine.csv"
    csv.write_text(
        "frequency,left,right\n250,10,30\n500,15,35\n1000,20,45\n2000,30,55\n4000,40,65\n8000,50,70\n"
    )
    assert main(["fit", "--audiogram", str(csv), "-o", str(tmp_path / "p.json"), "-q"]) == 0
    profile = read_profile(tmp_path / "p.json")
    left = np.array([b.gain_db for b in profile.left.bands])
    right = np.array([b.gain_db for b in profile.right.bands])
    assert np.all(right >= left) and np.any(right > left + 5)


@pytest.mark.parametrize(
    "content, match",
    [
        ("", "is empty"),
        ("frequency,left,right\n500,10,10\n250,10,10\n4000,10,10\n", "must ascend"),
        ("frequency,left,right\n250,10,10\n500,10,200\n4000,10,10\n", "outside -10 to 120 dB HL"),
        ("frequency,left\n250,10\n4000,10\n", "right"),
    ],
)
def test_bad_audiograms(tmp_path, capsys, content, match):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    _fails(capsys, ["fit", "--audiogram", str(path), "-o", str(tmp_path / "p.json")], match)
    assert not (tmp_path / "p.json").exists()


def test_bad_options(tmp_path, capsys):
    out = str(tmp_path / "p.json")
    _fails(
        capsys, ["fit", "--audiogram", "N3", "-o", out, "--max-output", "120"], "max_output_db_spl"
    )
    _fails(capsys, ["fit", "--audiogram", "X7", "-o", out], "no such audiogram file or preset")
    _fails(
        capsys,
        ["fit", "--audiogram", "N3", "-o", str(tmp_path / "missing" / "p.json")],
        "cannot write",
    )
    with pytest.raises(SystemExit) as info:
        main(["fit", "--audiogram", "N3"])
    assert info.value.code == 2


@pytest.mark.parametrize(
    "content",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 100_000 + "1" + "}" * 100_000,
        '{"left": {"frequencies_hz": ' + "[" * 500 + "]" * 500 + ', "levels_db_hl": [1]}}',
    ],
    ids=["arrays", "objects", "500-deep-inside"],
)
def test_deeply_nested_json_is_a_one_line_error(tmp_path, content):
    path = tmp_path / "deep.json"
    path.write_text(content)
    proc = fit_in_a_real_process("--audiogram", str(path), "-o", str(tmp_path / "p.json"))
    one_line_error(proc, "JSON nested more than")
    assert not (tmp_path / "p.json").exists()


@pytest.mark.parametrize("name", ["chart.svg", "chart.PDF"])
def test_the_chart_is_written_at_exactly_the_path_given(tmp_path, name):
    proc = fit_in_a_real_process(
        "--audiogram", "N3", "-o", str(tmp_path / "p.json"), "--plot", str(tmp_path / name)
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == f"wrote {tmp_path / 'p.json'} and {tmp_path / name}"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["p.json", name])
    assert (tmp_path / name).stat().st_size > 1000


@pytest.mark.parametrize(
    "chart, match",
    [
        ("", "it is a directory"),
        ("chart", "name an image file ending in .png"),
        ("chart.txt", "name an image file ending in .png"),
        ("missing/chart.png", "no such directory"),
    ],
)
def test_a_chart_path_that_cannot_be_written_as_given_is_refused_before_any_work(
    tmp_path, chart, match
):
    plot = tmp_path / chart if chart else tmp_path
    proc = fit_in_a_real_process(
        "--audiogram", "N3", "-o", str(tmp_path / "p.json"), "--plot", str(plot)
    )
    one_line_error(proc, match)
    assert list(tmp_path.iterdir()) == []  # neither the profile nor a chart under another name
