"""Noise suppression for the amplifier: a spectral method and two neural models behind one factory.

`make_suppressor(kind, strength, sample_rate)` returns a Processor (prepare / process / reset) that
takes mono float32 blocks of any length and reports the delay it adds (`latency_frames`,
`latency_ms`).
"""

from openhear.dsp.noise.factory import (
    DEFAULT_STRENGTH,
    MAX_ATTENUATION_DB,
    NOISE_KINDS,
    Bypass,
    attenuation_limit_db,
    make_suppressor,
)
from openhear.fitting.adjustments import NoiseKind

__all__ = [
    "DEFAULT_STRENGTH",
    "MAX_ATTENUATION_DB",
    "NOISE_KINDS",
    "Bypass",
    "NoiseKind",
    "attenuation_limit_db",
    "make_suppressor",
]
