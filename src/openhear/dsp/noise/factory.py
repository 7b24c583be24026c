"""Choose a noise suppressor by name and strength: what a fitting profile's noise settings feed.

Strength (the user's noise-reduction slider, 0 to 1) maps linearly to an attenuation limit:
`atten_lim_db = MAX_ATTENUATION_DB * strength`, so 0.5 gives 12 dB. The limit is the most any
backend attenuates pure noise; speech in noise is never pushed further down than that. A limit is
better than full suppression for listening: DeepFilterNet3 limited to 12 dB scored higher HASPI than
unlimited DFN3, which distorts speech at +5 dB SNR (shared/docs/STACK.md). Strength 0 (or kind
"none") gives a pass-through with no delay.
"""

from __future__ import annotations

import numpy as np

from openhear.dsp.noise.framed import FramedSuppressor
from openhear.dsp.noise.spectral import SpectralSuppressor
from openhear.dsp.processor import Processor
from openhear.errors import OpenhearError
from openhear.fitting.adjustments import DEFAULT_NOISE_STRENGTH, NOISE_KINDS

MAX_ATTENUATION_DB = 24.0
"""Attenuation limit at strength 1."""
DEFAULT_STRENGTH = DEFAULT_NOISE_STRENGTH
"""The default slider position: a 12 dB limit (`fitting.adjustments` names it)."""


def attenuation_limit_db(strength: float) -> float:
    """The attenuation limit (dB) for a noise-reduction strength in 0..1."""
    if not 0.0 <= strength <= 1.0:
        raise OpenhearError(f"noise-reduction strength must be between 0 and 1, got {strength}")
    return MAX_ATTENUATION_DB * float(strength)


class Bypass:
    """No noise suppression: returns its input, adds no delay."""

    latency_frames = 0
    latency_ms = 0.0

    def prepare(self, sample_rate: int, max_block_frames: int) -> None:
        pass

    def process(self, block: np.ndarray) -> np.ndarray:
        return np.asarray(block, np.float32)

    def reset(self) -> None:
        pass


def make_suppressor(
    kind: str,
    strength: float = DEFAULT_STRENGTH,
    sample_rate: int | None = None,
    max_block_frames: int = 4096,
    snr_adaptive: bool = False,
) -> Processor:
    """A noise-suppression Processor of this kind; prepared too when `sample_rate` is given.

    `snr_adaptive` (DeepFilterNet only): the limit steps back from the strength's limit when the
    slowly estimated SNR is high (`openhear.dsp.noise.adaptive`).

    Every returned object has `latency_frames` (after prepare) and `latency_ms`, the delay it adds.
    """
    if kind not in NOISE_KINDS:
        raise OpenhearError(
            f"unknown noise suppression {kind!r}; choose one of {', '.join(NOISE_KINDS)}"
        )
    limit = attenuation_limit_db(strength)
    suppressor: Processor
    if snr_adaptive and kind not in ("deepfilternet", "none"):
        raise OpenhearError(f"SNR-adaptive strength needs deepfilternet, not {kind!r}")
    if kind == "none" or limit == 0.0:
        suppressor = Bypass()
    elif kind == "spectral":
        suppressor = SpectralSuppressor(limit)
    elif kind == "deepfilternet":
        from openhear.dsp.noise.adaptive import AdaptiveLimitModel
        from openhear.dsp.noise.deepfilternet import (
            DELAY_FRAMES,
            FRAME_LENGTH,
            SAMPLE_RATE,
            DeepFilterNetState,
        )

        def open_model() -> DeepFilterNetState | AdaptiveLimitModel:
            state = DeepFilterNetState(limit)
            return AdaptiveLimitModel(state, limit) if snr_adaptive else state

        suppressor = FramedSuppressor(open_model, SAMPLE_RATE, FRAME_LENGTH, DELAY_FRAMES)
    else:
        from openhear.dsp.noise.rnnoise import DELAY_FRAMES, FRAME_LENGTH, SAMPLE_RATE, RnnoiseState

        suppressor = FramedSuppressor(
            lambda: RnnoiseState(limit), SAMPLE_RATE, FRAME_LENGTH, DELAY_FRAMES
        )
    if sample_rate is not None:
        suppressor.prepare(sample_rate, max_block_frames)
    return suppressor
