"""YAMNet, the AudioSet sound-event classifier, run offline with LiteRT (no TensorFlow).

The model (Google, Apache-2.0; see data/SOURCES.md) ships inside the package. It scores 0.975 s
of 16 kHz mono audio for AudioSet's 521 classes; one interpreter belongs to one classifier.
"""

from __future__ import annotations

import contextlib
import csv
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from openhear.errors import ModelError

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_MODEL = DATA_DIR / "yamnet.tflite"
"""The bundled YAMNet (4 MB, sha256 469be6a3...; data/SOURCES.md has its provenance)."""
CLASS_MAP = DATA_DIR / "yamnet_class_map.csv"
"""AudioSet's 521 class names in the model's output order (index, mid, display_name)."""
SAMPLE_RATE = 16000
"""The model's input rate."""
FRAME_SAMPLES = 15600
"""Samples per classified frame (0.975 s at 16 kHz)."""


def class_names() -> tuple[str, ...]:
    """The 521 AudioSet display names in output order."""
    with CLASS_MAP.open(encoding="utf-8", newline="") as f:
        return tuple(row["display_name"] for row in csv.DictReader(f))


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """LiteRT's C++ code prints "INFO: Created TensorFlow Lite XNNPACK delegate" on the process's
    stderr when the model is prepared; the CLI promises one-line messages, so that line goes to
    /dev/null (file descriptor 2 is redirected for the few milliseconds of preparation only)."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class YamnetModel:
    """One LiteRT interpreter holding YAMNet: `scores(frame)` for 0.975 s of 16 kHz mono.

    A missing, unreadable or non-YAMNet file is a one-line ModelError."""

    def __init__(self, path: str | Path | None = None, threads: int = 1):
        self.path = Path(path) if path is not None else DEFAULT_MODEL
        """The model file."""
        self.class_names = class_names()
        """AudioSet display names in output order."""
        self._interpreter = self._load(threads)
        inputs = self._interpreter.get_input_details()
        outputs = self._interpreter.get_output_details()
        shapes = [tuple(d["shape"]) for d in outputs]
        if (
            len(inputs) != 1
            or tuple(inputs[0]["shape"]) != (1, FRAME_SAMPLES)
            or inputs[0]["dtype"] is not np.float32
            or (1, len(self.class_names)) not in shapes
        ):
            raise ModelError(
                f"{self.path} is not a YAMNet model (it must take float32 [1, {FRAME_SAMPLES}] "
                f"and give [1, {len(self.class_names)}] scores; it takes "
                f"{[tuple(d['shape']) for d in inputs]} and gives {shapes})"
            )
        self._input = inputs[0]["index"]
        self._output = outputs[shapes.index((1, len(self.class_names)))]["index"]

    def _load(self, threads: int) -> Any:
        if not self.path.is_file():
            raise ModelError(
                f"no YAMNet model at {self.path}"
                + (" (it is a directory)" if self.path.is_dir() else "")
            )
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise ModelError(
                "the YAMNet runtime is not installed (pip install ai-edge-litert==2.3.0)"
            ) from None

        try:
            with _native_stderr_silenced():
                interpreter = Interpreter(model_path=str(self.path), num_threads=threads)
                interpreter.allocate_tensors()
        except (ValueError, RuntimeError, OSError) as exc:
            reason = str(exc).strip().split(".")[0] or type(exc).__name__
            raise ModelError(f"cannot load {self.path} as a TFLite model ({reason})") from None
        return interpreter

    def scores(self, frame: np.ndarray) -> np.ndarray:
        """Class scores (521 values from 0 to 1) for one frame of FRAME_SAMPLES samples."""
        self._interpreter.set_tensor(
            self._input, np.asarray(frame, np.float32).reshape(1, FRAME_SAMPLES)
        )
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output)[0].copy()
