"""The bundled YAMNet: the file is the one SOURCES.md describes, it classifies real sounds, and a
missing or broken model file is a one-line error."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from alerts.material import REAL_ALARM, read_mono
from openhear.alerts.sounds import SOUNDS
from openhear.alerts.yamnet import CLASS_MAP, DEFAULT_MODEL, FRAME_SAMPLES, YamnetModel, class_names
from openhear.errors import ModelError


def test_the_bundled_model_is_the_documented_file():
    digest = hashlib.sha256(DEFAULT_MODEL.read_bytes()).hexdigest()
    notice = (DEFAULT_MODEL.parent / "SOURCES.md").read_text()
    assert digest in notice and "Apache-2.0" in notice
    assert hashlib.sha256(CLASS_MAP.read_bytes()).hexdigest() in notice


def test_every_class_the_table_names_exists():
    names = set(class_names())
    assert len(class_names()) == 521
    assert {c for s in SOUNDS.values() for c in s.classes} <= names


def test_it_hears_the_real_alarm_and_silence(yamnet):
    alarm = read_mono(REAL_ALARM)
    scores = yamnet.scores(alarm[4 * 16000 : 4 * 16000 + FRAME_SAMPLES])
    top = {yamnet.class_names[i] for i in np.argsort(scores)[-3:]}
    assert top & {"Smoke detector, smoke alarm", "Alarm", "Fire alarm"}
    silence = yamnet.scores(np.zeros(FRAME_SAMPLES, np.float32))
    assert yamnet.class_names[int(np.argmax(silence))] == "Silence"


@pytest.mark.parametrize("kind", ["missing", "directory", "empty", "garbage", "class_map"])
def test_a_bad_model_file_is_a_one_line_error(tmp_path, kind):
    path = {
        "missing": tmp_path / "none.tflite",
        "directory": tmp_path,
        "empty": tmp_path / "empty.tflite",
        "garbage": tmp_path / "garbage.tflite",
        "class_map": CLASS_MAP,
    }[kind]
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "garbage":
        path.write_bytes(DEFAULT_MODEL.read_bytes()[:5000])  # a truncated download
    with pytest.raises(ModelError) as err:
        YamnetModel(path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message
