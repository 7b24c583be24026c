"""Hearing levels to sound levels: the reference thresholds of the headphone class, the output
calibration the amplifier uses, and the safety caps of the hearing check. One source of truth.

A tone at L dB HL at frequency f is played at L + RETSPL(f) dB SPL, where RETSPL (the reference
equivalent threshold sound pressure level) is the level that is 0 dB HL for that kind of headphone
(ISO 389-1 supra-aural, ISO 389-8 circumaural, ISO 389-2 insert; the numbers and where they come
from are in `openhear/data/retspl_iso389.json`). That sound level becomes a digital level through
the same calibration the amplifier uses: `db_spl_at_0dbfs`, the dB SPL at the ear of a tone with an
RMS of 1.0 (0 dBFS RMS) at the volume the listener keeps.

The calibration says how it was made: measured with a sound-level meter (`openhear hearing-test
--calibrate`), stated by the user (`--calibration DB_SPL`, e.g. from an earlier measurement), or
relative: the amplifier's default (100 dB SPL at 0 dBFS) assumed, which makes the thresholds
comparable between ears, frequencies and tests on the same headphones and volume but not true dB HL.
Consumer headphones are taken as flat: the calibration is made at 1 kHz.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from openhear.errors import OpenhearError
from openhear.fitting.profile import DEFAULT_DB_SPL_AT_0DBFS
from openhear.units import gain_to_db

HEADPHONE_CLASSES = ("circumaural", "supra-aural", "insert")
"""Kinds of headphones with a reference threshold table; circumaural (over the ear) first, the
usual kind of consumer headphones."""
CALIBRATION_METHODS = ("sound-level-meter", "stated", "relative")
"""How a calibration was made (see the module docstring); only "relative" is uncalibrated."""

FIRST_LEVEL_DB_HL = 40.0
"""The first tone of each ear: never louder than this (soft for most people with any hearing)."""
MIN_LEVEL_DB_HL = -10.0
"""The softest tone played (the audiogram's floor)."""
MAX_LEVEL_DB_HL = 80.0
"""Hard cap in hearing level. The check screens for fitting an amplifier meant for mild to
moderate loss; a threshold worse than 70 dB HL is a reason to see an audiologist anyway, so louder
tones would add nothing, and consumer headphones distort near their maximum."""
MAX_TONE_DB_SPL = 100.0
"""Hard cap in sound level, whatever the answers: no tone is louder than 100 dB SPL at the ear
under the calibration (below the amplifier's 111 dB SPL ceiling). A tone lasts under a second; the
daily noise dose (85 dBA for 8 hours, 3 dB exchange rate, NIOSH) allows 15 minutes at 100 dB, and a
whole check plays at most a few seconds at the cap."""
PEAK_HEADROOM_DB = 1.0
"""A tone's peak stays this far below digital full scale, so it is never clipped (clipping would
add harmonics: sound at frequencies not under test)."""
LEVEL_STEP_DB = 5.0
"""Levels are played on a 5 dB grid; the caps are rounded down to it."""
CALIBRATION_TONE_HZ = 1000.0
"""The calibration tone: 1 kHz, where the reference thresholds are lowest and meters are flat."""
CALIBRATION_TONE_DBFS = -20.0
"""Its RMS level in dBFS (about 80 dB SPL at the default calibration)."""
MIN_DB_SPL_AT_0DBFS, MAX_DB_SPL_AT_0DBFS = 60.0, 140.0
"""The range a calibration may take (as the fitting profile's)."""


@cache
def _table() -> dict:
    return json.loads(resources.files("openhear.data").joinpath("retspl_iso389.json").read_text())


def retspl_db(headphone: str, frequency_hz: float) -> float:
    """The sound level (dB SPL) that is 0 dB HL on this class of headphone; between the table's
    frequencies, linear in log frequency."""
    table = _table()
    entry = table["headphones"].get(headphone)
    if entry is None:
        raise OpenhearError(
            f"unknown headphone class {headphone!r}; choose one of {', '.join(HEADPHONE_CLASSES)}"
        )
    freqs = np.log(np.asarray(table["frequencies_hz"], float))
    return float(np.interp(math.log(frequency_hz), freqs, entry["retspl_db"]))


def reference_source(headphone: str) -> str:
    """The standard and reference earphone behind a headphone class's table, for the result."""
    entry = _table()["headphones"][headphone]
    return f"{entry['standard']} ({entry['reference']})"


@dataclass(frozen=True)
class Calibration:
    """How digital levels become sound levels at the ear, and how that was found out."""

    headphone: str = "circumaural"
    """Headphone class whose reference thresholds define 0 dB HL: circumaural, supra-aural or
    insert."""
    db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS
    """dB SPL at the ear of a 0 dBFS RMS tone at 1 kHz (the amplifier's calibration), at the volume
    the listener keeps."""
    method: str = "relative"
    """sound-level-meter (measured), stated (given by the user) or relative (assumed, so
    uncalibrated)."""
    date: str = ""
    """When it was measured (ISO 8601), for sound-level-meter calibrations."""

    def __post_init__(self) -> None:
        if self.headphone not in HEADPHONE_CLASSES:
            raise OpenhearError(
                f"unknown headphone class {self.headphone!r}; choose one of "
                f"{', '.join(HEADPHONE_CLASSES)}"
            )
        if self.method not in CALIBRATION_METHODS:
            raise OpenhearError(
                f"unknown calibration method {self.method!r}; "
                f"one of {', '.join(CALIBRATION_METHODS)}"
            )
        value = self.db_spl_at_0dbfs
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or not MIN_DB_SPL_AT_0DBFS <= value <= MAX_DB_SPL_AT_0DBFS
        ):
            raise OpenhearError(
                f"calibration must be from {MIN_DB_SPL_AT_0DBFS:g} to {MAX_DB_SPL_AT_0DBFS:g} "
                f"dB SPL at 0 dBFS, got {value!r}"
            )

    @property
    def calibrated(self) -> bool:
        """True unless the levels were only assumed (a relative calibration)."""
        return self.method != "relative"

    def tone_db_spl(self, frequency_hz: float, level_db_hl: float) -> float:
        """The sound level at the ear of a tone at this hearing level."""
        return level_db_hl + retspl_db(self.headphone, frequency_hz)

    def tone_rms_dbfs(self, frequency_hz: float, level_db_hl: float) -> float:
        """The digital RMS level (dBFS) of a tone at this hearing level."""
        return self.tone_db_spl(frequency_hz, level_db_hl) - self.db_spl_at_0dbfs

    def max_level_db_hl(self, frequency_hz: float) -> float:
        """The loudest tone the check plays at this frequency: the lowest of the hearing-level cap,
        the sound-level cap and the digital headroom, rounded down to the 5 dB grid."""
        retspl = retspl_db(self.headphone, frequency_hz)
        peak_limited_db_spl = self.db_spl_at_0dbfs - PEAK_HEADROOM_DB - gain_to_db(math.sqrt(2))
        limit = min(MAX_LEVEL_DB_HL, MAX_TONE_DB_SPL - retspl, peak_limited_db_spl - retspl)
        return LEVEL_STEP_DB * math.floor(limit / LEVEL_STEP_DB)

    def describe(self) -> str:
        """One line for the result: how levels were set."""
        when = f" on {self.date[:10]}" if self.date else ""
        how = {
            "sound-level-meter": f"measured with a sound-level meter{when}",
            "stated": "given by the user",
            "relative": "not measured (relative: assumed; thresholds are not true dB HL)",
        }[self.method]
        return (
            f"{self.headphone} headphones, reference thresholds "
            f"{reference_source(self.headphone)}; {self.db_spl_at_0dbfs:g} dB SPL at 0 dBFS, {how}"
        )

    def to_dict(self) -> dict:
        return {
            "headphone": self.headphone,
            "db_spl_at_0dbfs": self.db_spl_at_0dbfs,
            "method": self.method,
            "calibrated": self.calibrated,
            "date": self.date,
            "reference": reference_source(self.headphone),
        }


def calibration_from_dict(data: object) -> Calibration:
    """A calibration from its JSON object (validated, one-line errors)."""
    if not isinstance(data, dict):
        raise OpenhearError("a calibration must be a JSON object")
    try:
        return Calibration(
            headphone=data.get("headphone", "circumaural"),
            db_spl_at_0dbfs=data.get("db_spl_at_0dbfs", DEFAULT_DB_SPL_AT_0DBFS),
            method=data.get("method", "relative"),
            date=str(data.get("date", "")),
        )
    except TypeError as exc:
        raise OpenhearError(f"calibration: {exc}") from None


def calibration_from_meter(
    headphone: str, meter_db_spl: float, tone_dbfs: float = CALIBRATION_TONE_DBFS, date: str = ""
) -> Calibration:
    """The calibration from a sound-level meter reading (dB SPL, flat or C weighting) of the
    calibration tone played at `tone_dbfs` RMS."""
    if isinstance(meter_db_spl, bool) or not isinstance(meter_db_spl, (int, float)):
        raise OpenhearError(f"the meter reading must be a number, got {meter_db_spl!r}")
    if not math.isfinite(meter_db_spl) or not 20.0 <= meter_db_spl <= 130.0:
        raise OpenhearError(
            f"a meter reading of {meter_db_spl!r} dB SPL is not plausible (20 to 130)"
        )
    return Calibration(headphone, round(meter_db_spl - tone_dbfs, 1), "sound-level-meter", date)
