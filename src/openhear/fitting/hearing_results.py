"""Hearing-check results: the audiogram file (`openhear fit` reads it), the history of checks, and
when to see an audiologist.

A result is our audiogram JSON (`audiogram.listener_to_dict`) with a "hearing_check" object
beside the ears: date, headphone class, calibration (how it was made, the reference thresholds),
ears with no response at the cap, reliability and warnings. Readers of audiograms ignore it; the
history is every result kept in the data directory (`hearing-checks/`, private files).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from openhear.errors import OpenhearError
from openhear.fitting.audiogram import Listener, listener_from_dict, listener_to_dict
from openhear.fitting.audiometry import SIDES, CheckResult
from openhear.fitting.hearing_levels import Calibration, calibration_from_dict
from openhear.fitting.textfile import parse_json, read_text
from openhear.paths import data_dir, private_dir, write_private_text

HISTORY_DIR = "hearing-checks"
"""Where every result is kept, in the data directory, one file per check."""
SCREENING_NOTE = (
    "This is a screening to fit openhear's amplifier, not a diagnosis: it cannot tell the kind or "
    "the cause of a hearing loss. See a doctor at once for a sudden loss, pain, discharge, "
    "dizziness, or ringing in one ear."
)
ASYMMETRY_DB = 15.0
"""Ears this far apart at `ASYMMETRY_FREQUENCIES` or more frequencies: see an audiologist."""
ASYMMETRY_FREQUENCIES = 2
REFER_ABOVE_DB_HL = 70.0
"""A threshold worse than this is beyond what a self-fitted amplifier is meant for."""
CHANGE_DB = 15.0
"""Worse than the previous check by this much at `CHANGE_FREQUENCIES` or more frequencies."""
CHANGE_FREQUENCIES = 2


@dataclass(frozen=True)
class SavedCheck:
    """A result read back: the audiogram and what the check recorded about itself."""

    listener: Listener
    date: str
    """ISO 8601 date and time of the check."""
    calibration: Calibration
    no_response_hz: dict[str, tuple[float, ...]]
    """Per ear, the frequencies not heard up to the cap (their audiogram value is a lower bound)."""
    reliable: bool
    path: Path | None = None


def result_document(
    result: CheckResult, calibration: Calibration, date: datetime, name: str = ""
) -> dict:
    """The JSON document of a finished check: an audiogram plus the check's own record."""
    listener = result.listener(name or f"hearing check {date:%Y-%m-%d}")
    doc = listener_to_dict(listener)
    doc["hearing_check"] = {
        "date": date.isoformat(timespec="seconds"),
        "headphone": calibration.headphone,
        "calibration": calibration.to_dict(),
        "calibration_text": calibration.describe(),
        "ears": {
            side: {
                "no_response_hz": [
                    t.frequency_hz for t in result.ear(side).thresholds if t.level_db_hl is None
                ],
                "max_level_db_hl": {
                    f"{t.frequency_hz:g}": t.max_level_db_hl for t in result.ear(side).thresholds
                },
                "retest_1khz_db_hl": list(result.ear(side).retest_db_hl),
            }
            for side in SIDES
        },
        "trials": result.trials,
        "catch_trials": result.catch_trials,
        "catch_trials_answered": result.catch_answered,
        "false_response_rate": round(result.false_rate, 3),
        "listening_time_s": result.elapsed_s,
        "reliable": result.reliable,
        "warnings": list(result.warnings),
        "note": SCREENING_NOTE,
    }
    return doc


def saved_check_from_dict(data: object, path: Path | None = None) -> SavedCheck:
    """A result document read back (validated; one-line errors)."""
    listener = listener_from_dict(data)
    record = data.get("hearing_check") if isinstance(data, dict) else None
    if not isinstance(record, dict):
        raise OpenhearError('not a hearing-check result (no "hearing_check" record)')
    found = record.get("ears")
    ears: dict[str, Any] = found if isinstance(found, dict) else {}
    no_response = {}
    for side in SIDES:
        values = (
            ears.get(side, {}).get("no_response_hz", []) if isinstance(ears.get(side), dict) else []
        )
        no_response[side] = tuple(float(f) for f in values if isinstance(f, (int, float)))
    return SavedCheck(
        listener,
        str(record.get("date", "")),
        calibration_from_dict(record.get("calibration", {})),
        no_response,
        bool(record.get("reliable", True)),
        path,
    )


def read_check(path: str | Path) -> SavedCheck:
    path = Path(path)
    try:
        return saved_check_from_dict(parse_json(read_text(path, "hearing-check result")), path)
    except OpenhearError as exc:
        raise OpenhearError(f"{path}: {exc}") from None


def check_calibration_db_spl(source: str | Path) -> float | None:
    """The output calibration a hearing-check result was measured with, or None when `source` is
    not such a result (a preset, another audiogram file). `openhear fit` makes it the profile's."""
    path = Path(source)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("hearing_check"), dict):
        return None
    return calibration_from_dict(data["hearing_check"].get("calibration", {})).db_spl_at_0dbfs


def history_dir(base: Path | None = None) -> Path:
    """Where the history is kept: in `base`, or else the user's data directory."""
    return (base or data_dir()) / HISTORY_DIR


def save_result(doc: dict, path: str | Path | None = None, base: Path | None = None) -> Path:
    """Write the result into the history (and to `path` too when given); returns the history file.
    Files are private (an audiogram is health data) and replaced atomically."""
    text = json.dumps(doc, indent=1) + "\n"
    stamp = re.sub(r"[^0-9T]", "", doc["hearing_check"]["date"])[:15]
    kept_note = ""
    try:
        directory = private_dir(history_dir(base))
        kept = directory / f"hearing-check-{stamp}.json"
        n = 2
        while kept.exists():
            kept = directory / f"hearing-check-{stamp}-{n}.json"
            n += 1
        write_private_text(kept, text)  # the history first: a bad `path` cannot lose the check
        kept_note = f"; it is kept in {kept}"
        if path is not None:
            write_private_text(Path(path), text)
    except OSError as exc:
        where = getattr(exc, "filename", None) or path or history_dir(base)
        raise OpenhearError(
            f"cannot save the hearing-check result to {where} ({exc.strerror or exc}){kept_note}"
        ) from None
    return kept


def history(
    base: Path | None = None, on_unreadable: Callable[[Path, OpenhearError], None] | None = None
) -> list[SavedCheck]:
    """Every kept check, oldest first; unreadable files are skipped (each one given to
    `on_unreadable` with why, where given)."""
    directory = history_dir(base)
    if not directory.is_dir():
        return []
    checks = []
    for path in sorted(directory.glob("hearing-check-*.json")):
        try:
            checks.append(read_check(path))
        except OpenhearError as exc:
            if on_unreadable is not None:
                on_unreadable(path, exc)
    # same date: "...T113000.json" was kept before "...T113000-2.json"
    return sorted(checks, key=lambda c: (c.date, len(_name(c)), _name(c)))


def referrals(current: SavedCheck, previous: SavedCheck | None = None) -> list[str]:
    """Reasons to see an audiologist, worded for the listener (empty when none)."""
    reasons = []
    left, right = current.listener.left, current.listener.right
    shared = sorted(set(left.frequencies_hz) & set(right.frequencies_hz))
    apart = [
        f for f in shared if abs(left.levels_at([f])[0] - right.levels_at([f])[0]) >= ASYMMETRY_DB
    ]
    if len(apart) >= ASYMMETRY_FREQUENCIES:
        reasons.append(
            f"your ears differ by {ASYMMETRY_DB:g} dB or more at {_hz_list(apart)}: "
            "a difference between the ears needs an audiologist's look"
        )
    for side in SIDES:
        ear = current.listener.ear(side)
        worse = [
            f
            for f, level in zip(ear.frequencies_hz, ear.levels_db_hl, strict=True)
            if level > REFER_ABOVE_DB_HL
        ]
        if worse:
            reasons.append(
                f"{side} ear: thresholds worse than {REFER_ABOVE_DB_HL:g} dB HL at "
                f"{_hz_list(worse)}, more than a self-fitted amplifier is meant for"
            )
    if previous is not None:
        for side in SIDES:
            now, before = current.listener.ear(side), previous.listener.ear(side)
            common = sorted(set(now.frequencies_hz) & set(before.frequencies_hz))
            worse = [
                f for f in common if now.levels_at([f])[0] - before.levels_at([f])[0] >= CHANGE_DB
            ]
            if len(worse) >= CHANGE_FREQUENCIES:
                reasons.append(
                    f"{side} ear: {CHANGE_DB:g} dB or more worse than your check of "
                    f"{previous.date[:10]} at {_hz_list(worse)}; if it changed suddenly, see a "
                    "doctor within days (sudden hearing loss is treated best early)"
                )
    return reasons


def _hz_list(frequencies: list[float]) -> str:
    return ", ".join(f"{f / 1000:g} kHz" for f in frequencies)


CALIBRATION_FILE = "hearing-calibration.json"
"""The last sound-level-meter calibration (`openhear hearing-test --calibrate`), kept in the
data directory."""


def save_calibration(calibration: Calibration, base: Path | None = None) -> Path:
    path = (base or data_dir()) / CALIBRATION_FILE
    try:
        private_dir(path.parent)
        write_private_text(path, json.dumps(calibration.to_dict(), indent=1) + "\n")
    except OSError as exc:
        raise OpenhearError(
            f"cannot save the calibration to {path} ({exc.strerror or exc})"
        ) from None
    return path


def saved_calibration(base: Path | None = None) -> Calibration | None:
    """The calibration measured last, or None if there is none."""
    path = (base or data_dir()) / CALIBRATION_FILE
    if not path.exists():
        return None
    try:
        return calibration_from_dict(parse_json(read_text(path, "calibration file")))
    except OpenhearError as exc:
        raise OpenhearError(
            f"{path}: {exc} (measure again with `openhear hearing-test --calibrate`)"
        ) from None


def _name(check: SavedCheck) -> str:
    """The file name a saved check was read from ("" for one never saved)."""
    return check.path.name if check.path is not None else ""
