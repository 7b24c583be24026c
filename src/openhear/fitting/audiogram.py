"""Audiograms and listeners: hearing thresholds per ear, validated, loaded from files or presets.

Accepted inputs (`load_listener`):

- a Bisgaard et al. (2010) preset by name: N1 to N7 (flat and moderately sloping), S1 to S3 (steep);
  the same thresholds for both ears;
- our own JSON format (`dump_listener` writes it)::

      {"format": "openhear-audiogram", "version": 1, "name": "optional label",
       "left":  {"frequencies_hz": [250, 500, 1000, 2000, 4000],
                 "levels_db_hl": [20, 25, 35, 50, 60]},
       "right": {"frequencies_hz": [250, 500, 1000, 2000, 4000],
                 "levels_db_hl": [15, 20, 30, 45, 55]}}

- a Clarity listener JSON: one listener `{"name", "audiogram_cfs", "audiogram_levels_l",
  "audiogram_levels_r"}`, or a listeners file mapping ids to such objects when it holds exactly one;
- CSV with a header row `frequency,left,right` (thresholds in dB HL, one frequency per row).

Every problem with an input is an `OpenhearError` with a one-line message.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from openhear.errors import OpenhearError
from openhear.fitting.textfile import parse_json, read_text

FORMAT = "openhear-audiogram"
VERSION = 1
MIN_LEVEL_DB_HL = -10.0
MAX_LEVEL_DB_HL = 120.0
MIN_FREQUENCY_HZ = 125.0
MAX_FREQUENCY_HZ = 8000.0
REQUIRED_SPAN_HZ = (500.0, 4000.0)
"""An audiogram must reach at least this low and this high."""
PRESET_NAMES = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "S1", "S2", "S3")


@dataclass(frozen=True)
class Audiogram:
    """Hearing thresholds of one ear, in dB HL, at ascending audiometric frequencies."""

    frequencies_hz: tuple[float, ...]
    """Test frequencies, ascending and unique, within 125 to 8000 Hz, reaching 500 and 4000 Hz."""
    levels_db_hl: tuple[float, ...]
    """Threshold at each frequency, -10 to 120 dB HL."""

    def __post_init__(self) -> None:
        freqs = _numbers(self.frequencies_hz, "frequencies")
        levels = _numbers(self.levels_db_hl, "thresholds")
        object.__setattr__(self, "frequencies_hz", freqs)
        object.__setattr__(self, "levels_db_hl", levels)
        if len(freqs) != len(levels):
            raise OpenhearError(
                f"audiogram has {len(freqs)} frequencies but {len(levels)} thresholds"
            )
        if len(freqs) == 0:
            raise OpenhearError("audiogram has no thresholds")
        for a, b in zip(freqs, freqs[1:], strict=False):
            if b == a:
                raise OpenhearError(f"audiogram frequency {a:g} Hz appears twice")
            if b < a:
                raise OpenhearError(
                    f"audiogram frequencies must ascend ({a:g} Hz comes before {b:g} Hz)"
                )
        for f in freqs:
            if not MIN_FREQUENCY_HZ <= f <= MAX_FREQUENCY_HZ:
                raise OpenhearError(
                    f"audiogram frequency {f:g} Hz is outside {MIN_FREQUENCY_HZ:g} to "
                    f"{MAX_FREQUENCY_HZ:g} Hz"
                )
        low, high = REQUIRED_SPAN_HZ
        if freqs[0] > low or freqs[-1] < high:
            raise OpenhearError(
                f"audiogram covers {freqs[0]:g} to {freqs[-1]:g} Hz; it must reach at least "
                f"{low:g} to {high:g} Hz"
            )
        for f, level in zip(freqs, levels, strict=False):
            if not MIN_LEVEL_DB_HL <= level <= MAX_LEVEL_DB_HL:
                raise OpenhearError(
                    f"threshold {level:g} dB HL at {f:g} Hz is outside {MIN_LEVEL_DB_HL:g} to "
                    f"{MAX_LEVEL_DB_HL:g} dB HL"
                )

    def levels_at(self, frequencies_hz: npt.ArrayLike) -> np.ndarray:
        """Thresholds at any frequencies: linear in log frequency, held flat
        beyond the measured ends."""
        return np.interp(
            np.log(np.asarray(frequencies_hz, float)),
            np.log(self.frequencies_hz),
            self.levels_db_hl,
        )

    def to_dict(self) -> dict[str, list[float]]:
        return {
            "frequencies_hz": list(self.frequencies_hz),
            "levels_db_hl": list(self.levels_db_hl),
        }


@dataclass(frozen=True)
class Listener:
    """A person's two audiograms."""

    left: Audiogram
    """Thresholds of the left ear."""
    right: Audiogram
    """Thresholds of the right ear."""
    name: str = ""
    """A label (preset name, Clarity listener id, or free text)."""

    def ear(self, side: str) -> Audiogram:
        """The audiogram of "left" or "right"."""
        return self.left if side == "left" else self.right


def _numbers(values: Any, what: str) -> tuple[float, ...]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise OpenhearError(f"audiogram {what} must be a list of numbers, got {values!r}")
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise OpenhearError(f"audiogram {what} must be numbers, got {v!r}")
        if not math.isfinite(float(v)):
            raise OpenhearError(f"audiogram {what} must be finite numbers, got {v!r}")
        out.append(float(v))
    return tuple(out)


def preset(name: str) -> Listener:
    """A Bisgaard (2010) standard audiogram by name (N1..N7, S1..S3), the same for both ears."""
    key = name.strip().upper()
    if key not in PRESET_NAMES:
        raise OpenhearError(
            f"unknown audiogram preset {name!r}; choose one of {', '.join(PRESET_NAMES)}"
        )
    data = json.loads(resources.files("openhear.data").joinpath("bisgaard_2010.json").read_text())
    ear = Audiogram(data["frequencies_hz"], data["audiograms"][key]["levels_db_hl"])
    return Listener(ear, ear, name=key)


def load_listener(source: str | Path) -> Listener:
    """A listener from a preset name or a JSON (ours or Clarity's) or CSV file."""
    text_source = str(source)
    if text_source.strip().upper() in PRESET_NAMES:
        return preset(text_source)
    path = Path(source)
    if not path.exists():
        raise OpenhearError(
            f"no such audiogram file or preset: {text_source!r} (presets: "
            f"{', '.join(PRESET_NAMES)})"
        )
    text = read_text(path, "audiogram file")
    try:
        return listener_from_text(text, path.stem, path.suffix)
    except OpenhearError as exc:
        raise OpenhearError(f"{path}: {exc}") from None


def listener_from_text(text: str, name: str = "", suffix: str = "") -> Listener:
    """A listener from a file's text: a `.json` file is read as JSON (garbage in it is "not valid
    JSON", not a CSV mistake), a `.csv` one as CSV, any other by its first character."""
    suffix = suffix.lower()
    if suffix == ".json" or (suffix != ".csv" and text.lstrip().startswith(("{", "["))):
        return listener_from_dict(parse_json(text), name=name)
    return listener_from_csv(text, name=name)


def listener_from_dict(data: Any, name: str = "") -> Listener:
    """A listener from our JSON format or the Clarity listener shape (already parsed)."""
    if not isinstance(data, dict):
        raise OpenhearError("an audiogram JSON must be an object")
    if "audiogram_cfs" in data:
        return _from_clarity(data, name)
    if "left" in data or "right" in data:
        for side in ("left", "right"):
            if not isinstance(data.get(side), dict):
                raise OpenhearError(
                    f'audiogram has no {side} ear (expected "{side}": {{frequencies_hz, '
                    "levels_db_hl})"
                )
        ears = [_ear_from_dict(data[side], side) for side in ("left", "right")]
        return Listener(ears[0], ears[1], name=str(data.get("name", name)))
    listeners = [v for v in data.values() if isinstance(v, dict) and "audiogram_cfs" in v]
    if len(listeners) == 1:
        return _from_clarity(listeners[0], name)
    if listeners:
        raise OpenhearError(
            f"Clarity listeners file holds {len(listeners)} listeners; save the one you want alone"
        )
    raise OpenhearError(
        'not an audiogram: expected "left" and "right" ears or Clarity\'s "audiogram_cfs"'
    )


def _ear_from_dict(ear: dict, side: str) -> Audiogram:
    for key in ("frequencies_hz", "levels_db_hl"):
        if key not in ear:
            raise OpenhearError(f'{side} ear has no "{key}"')
    try:
        return Audiogram(ear["frequencies_hz"], ear["levels_db_hl"])
    except OpenhearError as exc:
        raise OpenhearError(f"{side} ear: {exc}") from None


def _from_clarity(data: dict, name: str) -> Listener:
    ears = []
    for side, key in (("left", "audiogram_levels_l"), ("right", "audiogram_levels_r")):
        if key not in data:
            raise OpenhearError(f'Clarity listener has no {side} ear ("{key}")')
        ears.append(
            _ear_from_dict(
                {"frequencies_hz": data["audiogram_cfs"], "levels_db_hl": data[key]}, side
            )
        )
    return Listener(ears[0], ears[1], name=str(data.get("name", name)))


def listener_from_csv(text: str, name: str = "") -> Listener:
    """A listener from CSV text with a `frequency,left,right` header (dB HL per row)."""
    rows = [r for r in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in r)]
    if not rows:
        raise OpenhearError("audiogram CSV is empty")
    header = [h.strip().lower() for h in rows[0]]
    columns = {}
    for want in ("frequency", "left", "right"):
        found = [i for i, h in enumerate(header) if h.startswith(want)]
        if not found:
            raise OpenhearError(
                f'audiogram CSV header needs a "{want}" column (frequency,left,right), got '
                f"{rows[0]}"
            )
        columns[want] = found[0]
    if len(rows) < 2:
        raise OpenhearError("audiogram CSV has a header but no thresholds")
    values: dict[str, list[float]] = {k: [] for k in columns}
    for line_no, row in enumerate(rows[1:], start=2):
        for key, col in columns.items():
            cell = row[col].strip() if col < len(row) else ""
            if not cell:
                raise OpenhearError(f"audiogram CSV line {line_no} has no {key} value")
            try:
                values[key].append(float(cell))
            except ValueError:
                raise OpenhearError(
                    f"audiogram CSV line {line_no}: {key} value {cell!r} is not a number"
                ) from None
    ears = []
    for side in ("left", "right"):
        try:
            ears.append(Audiogram(tuple(values["frequency"]), tuple(values[side])))
        except OpenhearError as exc:
            raise OpenhearError(f"{side} ear: {exc}") from None
    return Listener(ears[0], ears[1], name=name)


def listener_to_dict(listener: Listener) -> dict:
    """Our JSON format for a listener (what `load_listener` reads back)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": listener.name,
        "left": listener.left.to_dict(),
        "right": listener.right.to_dict(),
    }
