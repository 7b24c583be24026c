"""A bad sample never reaches the ear: float files holding NaN, +-inf or 1e30 through `amplify`,
`simulate` and `caption` come out as if those samples had been silence, within the ceiling, with
the speech around them captioned, and with one warning on stderr that counts them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import BAD_SAMPLES, BAD_SPEECH

from openhear.asr.wer import wer
from openhear.cli import main
from openhear.dsp.levels import peak_db_spl
from openhear.fitting.adjustments import DEFAULT_MAX_OUTPUT_DB_SPL

OPENHEAR = str(Path(sys.executable).parent / "openhear")
WARNING = (
    "openhear: warning: {path}: {n} bad samples (not a number, or beyond +40 dBFS) replaced by "
)
"""The start of the one line on stderr."""


def _openhear(*args) -> subprocess.CompletedProcess:
    return subprocess.run([OPENHEAR, *map(str, args)], capture_output=True, text=True, timeout=300)


def _warned_once(stderr: str, path: Path, n: int) -> bool:
    return stderr.count("\n") == 1 and stderr.startswith(WARNING.format(path=path, n=n))


@pytest.mark.parametrize("kind", BAD_SAMPLES)
def test_amplify_sounds_as_if_the_bad_sample_were_silence(kind, damaged_copy, long_speech, capsys):
    """The reported case: one bad sample at 6.9 s once made every later sample full scale."""
    damaged, zeroed = damaged_copy(long_speech.path, {6.9: BAD_SAMPLES[kind]})
    outputs = []
    for source in (damaged, zeroed):
        out = source.with_suffix(".out.wav")
        assert main(["amplify", str(source), "-o", str(out), "--audiogram", "N3"]) == 0
        outputs.append(sf.read(out, dtype="float32")[0])
    assert "nan" not in capsys.readouterr().out  # the input level is a number
    np.testing.assert_array_equal(outputs[0], outputs[1])
    assert peak_db_spl(outputs[0]) <= DEFAULT_MAX_OUTPUT_DB_SPL + 1e-3


def test_amplify_warns_once_in_a_real_process(damaged_copy, long_speech):
    damaged, zeroed = damaged_copy(long_speech.path, BAD_SPEECH)
    run = _openhear("amplify", damaged, "-o", damaged.with_suffix(".out.wav"), "--audiogram", "N3")
    assert run.returncode == 0 and _warned_once(run.stderr, damaged, 5), run.stderr
    out = zeroed.with_suffix(".out.wav")
    assert main(["amplify", str(zeroed), "-o", str(out), "--audiogram", "N3", "-q"]) == 0
    np.testing.assert_array_equal(sf.read(damaged.with_suffix(".out.wav"))[0], sf.read(out)[0])


@pytest.mark.slow
def test_simulate_hears_the_bad_samples_as_silence(damaged_copy, manifest, tmp_path):
    """`simulate` once failed with "internal error: ValueError" on such a file."""
    short = next(u for u in manifest if u.id == "cmu_arctic_axb_a0005")
    samples, rate = sf.read(short.path, dtype="float32")
    clip = tmp_path / "clip.wav"
    sf.write(clip, samples[: int(0.8 * rate)], rate)  # MSBG is slow
    damaged, zeroed = damaged_copy(clip, {0.2: np.nan, 0.4: np.inf, 0.5: -np.inf, 0.7: 1e30})
    run = _openhear("simulate", damaged, "-o", damaged.with_suffix(".out.wav"), "--audiogram", "N3")
    assert run.returncode == 0 and _warned_once(run.stderr, damaged, 4), run.stderr
    out = zeroed.with_suffix(".out.wav")
    assert main(["simulate", str(zeroed), "-o", str(out), "--audiogram", "N3", "-q"]) == 0
    heard, expected = sf.read(damaged.with_suffix(".out.wav"))[0], sf.read(out)[0]
    assert np.all(np.isfinite(heard)) and np.abs(heard).max() > 0.01
    np.testing.assert_allclose(heard, expected, atol=2 / 32768)


@pytest.mark.slow
def test_caption_keeps_the_speech_around_bad_samples(damaged_copy, long_speech):
    """A bad sample once dropped its utterance, and one at the end the whole transcript."""
    damaged, _ = damaged_copy(long_speech.path, BAD_SPEECH)
    run = _openhear("caption", damaged)
    assert run.returncode == 0 and _warned_once(run.stderr, damaged, 5), run.stderr
    assert wer(long_speech.text, run.stdout) <= 0.1, run.stdout
