"""The fitting profile (a versioned JSON file) that drives the amplifier.

A profile holds the listener's audiograms, the prescribed bands of each ear, the user's adjustments
(the Sound Amplifier style sliders, `fitting.adjustments`) and the level calibration.
`fit_listener` makes one from an audiogram; `read_profile` / `write_profile` store it. Every
problem is a one-line OpenhearError.

Levels: `db_spl_at_0dbfs` is the sound pressure level that a digital signal with an RMS of 1.0
(0 dBFS RMS) produces at the ear. The default, 100 dB SPL, is the Clarity Challenge convention, so
65 dB SPL speech sits at -35 dBFS RMS, and a peak of 1.0 is 100 dB SPL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from openhear.errors import OpenhearError
from openhear.fitting.adjustments import Adjustments, renamed
from openhear.fitting.audiogram import Listener, listener_from_dict, listener_to_dict
from openhear.fitting.prescription import BandFitting, EarFitting, flat_ear, prescribe_ear
from openhear.fitting.textfile import parse_json, read_text
from openhear.paths import write_private_text

FORMAT = "openhear-fitting-profile"
VERSION = 2
"""The profile format written now. Version 2 renamed the noise sliders (`noise_reduction` ->
`noise_strength`, `noise_suppression` -> `noise_kind`); version 1 files are read and migrated."""
MIGRATIONS: dict[int, Callable[[dict], dict]] = {
    1: lambda data: {**data, "adjustments": _renamed_adjustments(data.get("adjustments", {}))},
}
"""How a document of an older version becomes one of the next version."""
DEFAULT_DB_SPL_AT_0DBFS = 100.0
"""Calibration: dB SPL produced by a 0 dBFS RMS signal (the Clarity convention)."""


@dataclass(frozen=True)
class FittingProfile:
    """Everything the amplifier needs for one listener: bands per ear, adjustments, calibration."""

    listener: Listener
    """The audiograms the fitting was made from."""
    left: EarFitting
    """Bands of the left ear."""
    right: EarFitting
    """Bands of the right ear."""
    adjustments: Adjustments = field(default_factory=Adjustments)
    """The user's sliders."""
    db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS
    """Calibration: dB SPL of a 0 dBFS RMS signal at the ear (depends on the
    headphones and volume)."""
    prescription: str = "NAL-R"
    """How the bands were made: NAL-R (with NAL-RP for severe losses) plus
    the WDRC rule, or flat."""

    def __post_init__(self) -> None:
        if not (
            isinstance(self.db_spl_at_0dbfs, (int, float)) and 60.0 <= self.db_spl_at_0dbfs <= 140.0
        ):
            raise OpenhearError(
                f"db_spl_at_0dbfs must be from 60 to 140 dB SPL, got {self.db_spl_at_0dbfs!r}"
            )

    def ear(self, side: str) -> EarFitting:
        """The bands of "left" or "right"."""
        return self.left if side == "left" else self.right

    def with_adjustments(self, **values: Any) -> FittingProfile:
        """A copy with some sliders moved."""
        return replace(self, adjustments=self.adjustments.changed(**values))


def fit_listener(
    listener: Listener,
    adjustments: Adjustments | None = None,
    db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS,
) -> FittingProfile:
    """The NAL-R(P) + WDRC fitting of both ears."""
    return FittingProfile(
        listener,
        prescribe_ear(listener.left),
        prescribe_ear(listener.right),
        adjustments or Adjustments(),
        db_spl_at_0dbfs,
        "NAL-R",
    )


def flat_profile(
    listener: Listener,
    gain_db: float = 0.0,
    adjustments: Adjustments | None = None,
    db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS,
) -> FittingProfile:
    """A linear, frequency-flat fitting (for measurements and for people who
    want plain loudness)."""
    return FittingProfile(
        listener,
        flat_ear(gain_db),
        flat_ear(gain_db),
        adjustments or Adjustments(),
        db_spl_at_0dbfs,
        "flat",
    )


def profile_to_dict(profile: FittingProfile) -> dict:
    """The JSON document of a profile."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "prescription": profile.prescription,
        "db_spl_at_0dbfs": profile.db_spl_at_0dbfs,
        "listener": listener_to_dict(profile.listener),
        "adjustments": asdict(profile.adjustments),
        "left": [asdict(b) for b in profile.left.bands],
        "right": [asdict(b) for b in profile.right.bands],
    }


def profile_from_dict(data: Any) -> FittingProfile:
    """A profile from its JSON document, validated."""
    if not isinstance(data, dict):
        raise OpenhearError("a fitting profile must be a JSON object")
    if data.get("format") != FORMAT:
        raise OpenhearError(f'not an openhear fitting profile ("format" is not "{FORMAT}")')
    version = data.get("version")
    if type(version) is not int or (version != VERSION and version not in MIGRATIONS):
        raise OpenhearError(
            f"fitting profile version {data.get('version')!r} is not supported (expected {VERSION})"
        )
    while version != VERSION:
        data = MIGRATIONS[version](data)
        version += 1
    for key in ("listener", "left", "right"):
        if key not in data:
            raise OpenhearError(f'fitting profile has no "{key}"')
    listener = listener_from_dict(data["listener"])
    adjustments = _build(Adjustments, data.get("adjustments", {}), "adjustments")
    ears = []
    for side in ("left", "right"):
        if not isinstance(data[side], list):
            raise OpenhearError(f'fitting profile "{side}" must be a list of bands')
        ears.append(EarFitting(tuple(_build(BandFitting, b, f"{side} band") for b in data[side])))
    return FittingProfile(
        listener,
        ears[0],
        ears[1],
        adjustments,
        data.get("db_spl_at_0dbfs", DEFAULT_DB_SPL_AT_0DBFS),
        str(data.get("prescription", "")),
    )


def _renamed_adjustments(values: Any) -> Any:
    """Version 1 adjustments with the noise sliders' names of version 2 (other values as they
    are: `_build` reports what is wrong with them)."""
    return renamed(values) if isinstance(values, dict) else values


_Built = TypeVar("_Built", Adjustments, BandFitting)


def _build(cls: type[_Built], values: Any, what: str) -> _Built:
    if not isinstance(values, dict):
        raise OpenhearError(f"fitting profile {what} must be an object")
    names = {f.name for f in fields(cls)}
    extra = sorted(set(values) - names)
    if extra:
        raise OpenhearError(f"fitting profile {what}: unknown field {extra[0]!r}")
    missing = [
        f.name
        for f in fields(cls)
        if f.name not in values and f.default is MISSING and f.default_factory is MISSING
    ]
    if missing:
        raise OpenhearError(f"fitting profile {what}: missing field {missing[0]!r}")
    return cls(**values)


def read_profile(path: str | Path) -> FittingProfile:
    """Load a profile file, with one-line errors for anything wrong."""
    path = Path(path)
    text = read_text(path, "fitting profile")
    try:
        return profile_from_dict(parse_json(text))
    except OpenhearError as exc:
        raise OpenhearError(f"{path}: {exc}") from None


def write_profile(profile: FittingProfile, path: str | Path) -> None:
    """Save a profile as JSON, readable by its owner only (an audiogram is health data), replacing
    any previous file atomically (a crash or a concurrent save never leaves half a profile)."""
    try:
        write_private_text(Path(path), json.dumps(profile_to_dict(profile), indent=1) + "\n")
    except OSError as exc:
        raise OpenhearError(
            f"cannot write fitting profile {path} ({exc.strerror or exc})"
        ) from None
