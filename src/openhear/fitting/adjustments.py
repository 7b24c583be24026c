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
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

from openhear.errors import OpenhearError

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
    noise_reduction: float = 0.0
    """Noise-reduction strength, 0 (off) to 1 (strongest); used when a noise
    suppressor is chosen."""
    noise_suppression: str = "none"
    """Noise suppressor: none, spectral, deepfilternet or rnnoise (the neural
    ones add 20 to 40 ms)."""
    max_output_db_spl: float = DEFAULT_MAX_OUTPUT_DB_SPL
    """Ceiling for the output peak in dB SPL, at most 111."""

    def __post_init__(self) -> None:
        for name, low, high in (
            ("boost_db", -20.0, 20.0),
            ("tone_db", -12.0, 12.0),
            ("balance_db", -12.0, 12.0),
            ("noise_reduction", 0.0, 1.0),
            ("max_output_db_spl", 40.0, MAX_OUTPUT_LIMIT_DB_SPL),
        ):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
            ):
                raise OpenhearError(f"{name} must be a number, got {value!r}")
            if not low <= value <= high:
                raise OpenhearError(f"{name} must be from {low:g} to {high:g}, got {value:g}")
        if self.noise_suppression not in NOISE_KINDS:
            raise OpenhearError(
                f"noise_suppression must be one of {', '.join(NOISE_KINDS)}, got "
                f"{self.noise_suppression!r}"
            )

    def offsets_db(self, centers_hz: npt.ArrayLike, side: str) -> np.ndarray:
        """Gain added to each band of one ear ("left" or "right") by boost, tone and balance."""
        logf = np.log(np.asarray(centers_hz, float))
        span = logf[-1] - logf[0]
        tilt = (logf - logf[0]) / span - 0.5 if span > 0 else np.zeros_like(logf)
        balance = 0.5 * self.balance_db * (1.0 if side == "right" else -1.0)
        return self.boost_db + self.tone_db * tilt + balance

    def changed(self, **values: Any) -> Adjustments:
        """A copy with some sliders moved (validated). Choosing a suppressor while the strength is 0
        also sets the default strength, so that choosing one turns it on."""
        unknown = set(values) - set(asdict(self))
        if unknown:
            raise OpenhearError(f"unknown adjustment {sorted(unknown)[0]!r}")
        if (
            values.get("noise_suppression", "none") != "none"
            and "noise_reduction" not in values
            and self.noise_reduction == 0.0
        ):
            values["noise_reduction"] = DEFAULT_NOISE_STRENGTH
        return replace(self, **values)
