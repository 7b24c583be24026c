"""The listener's own adjustments on top of the prescription: the Sound Amplifier style sliders
(boost, tone, balance, noise reduction, maximum output) that the profile stores and the amplifier
applies.

The noise suppressor's kinds and default strength are named here, with the other sliders, so that
a profile can be checked without loading any signal processing: `dsp.noise` builds the suppressor
from these values (fitting produces plain parameters, dsp consumes them).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, get_args

from openhear.errors import OpenhearError

if TYPE_CHECKING:  # numpy is imported where used: the CLI reads the ranges for its --help
    import numpy as np
    import numpy.typing as npt

NoiseKind = Literal["none", "spectral", "deepfilternet", "rnnoise"]
"""The noise suppressors: none, a spectral method, and two neural models."""
NOISE_KINDS: tuple[str, ...] = get_args(NoiseKind)
DEFAULT_NOISE_STRENGTH = 0.5
"""The default noise-reduction slider position (0 to 1): a 12 dB attenuation limit."""
DEFAULT_MAX_OUTPUT_DB_SPL = 100.0
"""Default ceiling for output peaks, well below the limit below."""
MAX_OUTPUT_LIMIT_DB_SPL = 111.0
"""No setting can let the output pass this (the US over-the-counter hearing aid output limit)."""


@dataclass(frozen=True)
class SliderRange:
    """The range of one numeric slider: what the profile accepts, the CLI and the live shell
    describe, and the page's control offers (it reads these from `GET /api/settings`)."""

    low: float
    """Smallest accepted value."""
    high: float
    """Largest accepted value."""
    step: float
    """The page's step between positions (any value in range is accepted elsewhere)."""
    unit: str
    """Unit as shown after a value ("dB", "dB SPL"; "" for a plain number)."""

    def describe(self) -> str:
        """The range as words, e.g. "-20 to 20 dB"."""
        return f"{self.low:g} to {self.high:g}{' ' + self.unit if self.unit else ''}"


SLIDER_RANGES: dict[str, SliderRange] = {
    "boost_db": SliderRange(-20.0, 20.0, 1.0, "dB"),
    "tone_db": SliderRange(-12.0, 12.0, 1.0, "dB"),
    "balance_db": SliderRange(-12.0, 12.0, 1.0, "dB"),
    "noise_strength": SliderRange(0.0, 1.0, 0.1, ""),
    "max_output_db_spl": SliderRange(40.0, MAX_OUTPUT_LIMIT_DB_SPL, 1.0, "dB SPL"),
}
"""Every numeric slider of `Adjustments`, by field name: the one place its range is written."""
RENAMED_FIELDS = {"noise_reduction": "noise_strength", "noise_suppression": "noise_kind"}
"""Slider names of profile version 1 (and of the HTTP API before it) and their names now: the two
noise settings were near-synonyms for what are a strength and a kind."""


@dataclass(frozen=True)
class Adjustments:
    """The listener's own adjustments on top of the prescription (Sound Amplifier style sliders)."""

    boost_db: float = 0.0
    """Overall gain added to every band, -20 to +20 dB."""
    tone_db: float = 0.0
    """Tilt, -12 to +12 dB: positive makes high bands louder and low bands softer by
    half each at the ends."""
    balance_db: float = 0.0
    """Left/right balance, -12 to +12 dB: positive makes the right ear louder by half and the
    left softer by half."""
    noise_strength: float = 0.0
    """Noise-reduction strength, 0 (off) to 1 (strongest); used when a noise
    suppressor is chosen (`noise_reduction` in profile version 1)."""
    noise_kind: str = "none"
    """Noise suppressor: none, spectral, deepfilternet or rnnoise (the neural
    ones add 20 to 40 ms; `noise_suppression` in profile version 1)."""
    max_output_db_spl: float = DEFAULT_MAX_OUTPUT_DB_SPL
    """Ceiling for the output peak in dB SPL, at most 111."""

    def __post_init__(self) -> None:
        for name, limits in SLIDER_RANGES.items():
            low, high = limits.low, limits.high
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
            ):
                raise OpenhearError(f"{name} must be a number, got {value!r}")
            if not low <= value <= high:
                raise OpenhearError(f"{name} must be from {low:g} to {high:g}, got {value:g}")
        if self.noise_kind not in NOISE_KINDS:
            raise OpenhearError(
                f"noise_kind must be one of {', '.join(NOISE_KINDS)}, got {self.noise_kind!r}"
            )

    def offsets_db(self, centers_hz: npt.ArrayLike, side: str) -> np.ndarray:
        """Gain added to each band of one ear ("left" or "right") by boost, tone and balance."""
        import numpy as np

        logf = np.log(np.asarray(centers_hz, float))
        span = logf[-1] - logf[0]
        tilt = (logf - logf[0]) / span - 0.5 if span > 0 else np.zeros_like(logf)
        balance = 0.5 * self.balance_db * (1.0 if side == "right" else -1.0)
        return self.boost_db + self.tone_db * tilt + balance

    def changed(self, **values: Any) -> Adjustments:
        """A copy with some sliders moved (validated; the version 1 names in `RENAMED_FIELDS` are
        understood too). Choosing a suppressor while the strength is 0 also sets the default
        strength, so that choosing one turns it on."""
        values = renamed(values)
        unknown = set(values) - set(asdict(self))
        if unknown:
            raise OpenhearError(f"unknown adjustment {sorted(unknown)[0]!r}")
        if (
            values.get("noise_kind", "none") != "none"
            and "noise_strength" not in values
            and self.noise_strength == 0.0
        ):
            values["noise_strength"] = DEFAULT_NOISE_STRENGTH
        return replace(self, **values)


def renamed(values: dict[str, Any]) -> dict[str, Any]:
    """Slider values with the version 1 names (`RENAMED_FIELDS`) given their names now; a value
    given under both names is an error."""
    out = dict(values)
    for old, new in RENAMED_FIELDS.items():
        if old in out:
            if new in out:
                raise OpenhearError(f"{old} is the old name of {new}: give one of them")
            out[new] = out.pop(old)
    return out
