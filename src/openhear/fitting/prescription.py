"""Prescription: NAL-R(P) insertion gain per ear and a wide dynamic range compression (WDRC) rule
per band.

NAL-R (Byrne and Dillon 1986) prescribes the insertion gain for average (65 dB SPL) speech:

    G(f) = X + 0.31 H(f) + k(f),   X = 0.05 (H500 + H1000 + H2000),   negative gains clipped to 0

with k = -17, -8, -3, +1, +1, -1, -2, -2, -2 dB at 250, 500, 750, 1000, 1500, 2000, 3000, 4000,
6000 Hz (k at 8000 Hz is taken equal to 6000 Hz). NAL-RP (Byrne, Parkinson and Newall 1990) raises
X for severe losses: when H500 + H1000 + H2000 exceeds 180 dB, X = 9 + 0.116 (sum - 180), as
pyclarity's NAL-R does. (NAL-RP's extra low-frequency tilt for H2000 >= 95 dB HL is not applied.)

NAL-R is a linear rule; openhear applies it through compression fitted around it, band by band
(`BAND_CENTERS_HZ`), anchored at the peaks of 65 dB SPL speech: a band input at the band's share of
65 dB SPL speech (the Byrne et al. 1994 long-term average speech spectrum, LTASS) plus 12 dB, the
speech peak level of the articulation index (French and Steinberg 1947; ANSI S3.5-1969), gets
exactly NAL-R's gain. So the loud parts of average speech, which carry most of its power, get the
gain a linear NAL-R aid gives them, and everything softer gets more. At the long-term band level of
65 dB SPL speech (`BandFitting.reference_db_spl`) the prescribed gain is therefore

    G65(f) = NAL-R(f) + 12 (1 - 1/ratio)      (0 to 6 dB above NAL-R, growing with the loss)

(Anchoring NAL-R at the long-term level instead gave the peaks 12 (1 - 1/ratio) dB less than
NAL-R, and HASPI v2 put that fitting 0.01 to 0.03 below the linear Clarity baseline at 65 dB SPL in
quiet.) Around it:

- threshold_db = long-term band level of 65 dB SPL speech - 20 dB: speech from about 45 dB SPL
  upwards is compressed, softer sound gets the (constant) gain of the threshold, so soft speech is
  lifted most;
- ratio = 1 + max(0, H - 20) / 100, at most 2: loudness recruitment grows with the loss, but high
  ratios flatten the speech envelope and lift noise in the gaps (Souza 2002);
- attack_ms = 50, release_ms = 200: moderate, not syllabic, speed (detector time constants, see
  dsp/wdrc; 50 ms is also the attack of the Clarity recipe's compressor). Onsets the slower attack
  lets through are caught by the chain's limiter.

The speed and ratios were chosen with HASPI v2 on a dev subset (2 utterances; N3, N4, S2; quiet at
55 dB SPL and kitchen noise at +5 dB SNR and 65 dB SPL): fast 5/50 ms compression with ratios up to
3 scored up to 0.07 below the Clarity baseline (linear NAL-R) in noise and for N4 in quiet;
10/200 ms with these ratios was at or above the baseline in all four cells. A 50 ms attack then beat
10 ms on 160 items (all five bench listeners, 2 utterances, both noises, 6 VoiceBank-DEMAND files)
in quiet (0.837 -> 0.849 at 55 dB SPL, 0.916 -> 0.924 at 65), at 55 dB SPL in noise and on
VoiceBank-DEMAND; with the limiter's faster release (dsp/limiter) it also held the 65 dB SPL noisy
cells.

All of this is computed off the audio thread, once per fitting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openhear.errors import OpenhearError
from openhear.fitting.audiogram import Audiogram

BAND_CENTERS_HZ: tuple[float, ...] = (
    250.0,
    500.0,
    750.0,
    1000.0,
    1500.0,
    2000.0,
    3000.0,
    4000.0,
    6000.0,
    8000.0,
)
"""Centre frequencies of the ten compression bands (the audiometric frequencies)."""

NALR_K_DB = {
    250: -17.0,
    500: -8.0,
    750: -3.0,
    1000: 1.0,
    1500: 1.0,
    2000: -1.0,
    3000: -2.0,
    4000: -2.0,
    6000: -2.0,
    8000: -2.0,
}
"""NAL-R's frequency-dependent constant k(f) in dB."""

SPEECH_REFERENCE_DB_SPL = 65.0
"""Overall level of the speech for which the prescribed gain holds."""

# Byrne et al. (1994) international long-term average speech spectrum, 70 dB SPL
# overall, third-octave
# bands (average of male and female talkers), as tabulated in pyclarity's camfit gain rule.
LTASS_HZ = np.array(
    [
        63,
        80,
        100,
        125,
        160,
        200,
        250,
        315,
        400,
        500,
        630,
        800,
        1000,
        1250,
        1600,
        2000,
        2500,
        3150,
        4000,
        5000,
        6300,
        8000,
        10000,
        12500,
        16000,
    ],
    float,
)
LTASS_DB_SPL = np.array(
    [
        38.6,
        43.5,
        54.4,
        57.7,
        56.8,
        60.2,
        60.3,
        59.0,
        62.1,
        62.1,
        60.5,
        56.8,
        53.7,
        53.0,
        52.0,
        48.7,
        48.1,
        46.8,
        45.6,
        44.5,
        44.3,
        43.7,
        43.4,
        41.3,
        40.7,
    ]
)
LTASS_OVERALL_DB_SPL = 70.0

SPEECH_PEAKS_ABOVE_LTASS_DB = 12.0
"""Speech peaks above the long-term band level (articulation index): where
NAL-R's gain is anchored."""
THRESHOLD_BELOW_REFERENCE_DB = 20.0
"""Compression threshold below the long-term band level of 65 dB SPL speech."""
MAX_RATIO = 2.0
RATIO_PER_DB_LOSS = 1.0 / 100.0
RATIO_LOSS_FLOOR_DB_HL = 20.0
ATTACK_MS = 50.0
RELEASE_MS = 200.0
MAX_GAIN_DB = 60.0
"""No band's gain (at any level, after adjustments) goes above this."""


@dataclass(frozen=True)
class BandFitting:
    """One compression band of one ear: the prescribed gain and how it changes with level."""

    center_hz: float
    """Centre frequency of the band."""
    gain_db: float
    """Insertion gain for an input at `reference_db_spl` (the prescription target)."""
    reference_db_spl: float
    """Band input level at which `gain_db` applies (this band's share of 65 dB SPL speech)."""
    threshold_db: float
    """Compression threshold: band input level in dB SPL above which gain falls with level."""
    ratio: float
    """Compression ratio (input dB change per output dB change) above the threshold; 1 is linear."""
    attack_ms: float
    """Time constant of the level detector for rising levels."""
    release_ms: float
    """Time constant (power domain, 4.3 dB per constant) of the level
    detector for falling levels."""

    def __post_init__(self) -> None:
        checks = (
            ("center_hz", self.center_hz, 20.0, 20000.0),
            ("gain_db", self.gain_db, -40.0, MAX_GAIN_DB),
            ("reference_db_spl", self.reference_db_spl, 0.0, 120.0),
            ("threshold_db", self.threshold_db, 0.0, 120.0),
            ("ratio", self.ratio, 1.0, 10.0),
            ("attack_ms", self.attack_ms, 0.1, 1000.0),
            ("release_ms", self.release_ms, 1.0, 5000.0),
        )
        for name, value, low, high in checks:
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not low <= value <= high
            ):
                raise OpenhearError(
                    f"band {name} must be a number from {low:g} to {high:g}, got {value!r}"
                )

    def gain_db_at(self, input_db_spl: npt.ArrayLike, offset_db: float = 0.0) -> np.ndarray:
        """Static gain (dB) at band input levels (dB SPL): constant below the
        threshold, compressive above."""
        slope = 1.0 / self.ratio - 1.0
        gain_at_threshold = (
            self.gain_db + offset_db + slope * (self.threshold_db - self.reference_db_spl)
        )
        level = np.maximum(np.asarray(input_db_spl, float), self.threshold_db)
        return np.minimum(gain_at_threshold + slope * (level - self.threshold_db), MAX_GAIN_DB)


@dataclass(frozen=True)
class EarFitting:
    """The bands of one ear, ascending in frequency."""

    bands: tuple[BandFitting, ...]
    """At least 8 bands with ascending centre frequencies."""

    def __post_init__(self) -> None:
        if len(self.bands) < 8:
            raise OpenhearError(f"an ear fitting needs at least 8 bands, got {len(self.bands)}")
        centers = [b.center_hz for b in self.bands]
        if any(b <= a for a, b in zip(centers, centers[1:], strict=False)):
            raise OpenhearError("band centre frequencies must ascend without repeats")

    @property
    def centers_hz(self) -> np.ndarray:
        return np.array([b.center_hz for b in self.bands])

    def gains_db_for_speech(
        self, speech_db_spl: float, offsets_db: npt.ArrayLike = 0.0
    ) -> np.ndarray:
        """Gain per band (dB) for speech at this overall level (the 50/65/80 dB SPL chart)."""
        levels = speech_band_levels_db_spl(self.centers_hz, speech_db_spl)
        offsets = np.broadcast_to(np.asarray(offsets_db, float), levels.shape)
        return np.array(
            [b.gain_db_at(lv, o) for b, lv, o in zip(self.bands, levels, offsets, strict=False)],
            float,
        )


def nal_r_gains_db(
    audiogram: Audiogram, frequencies_hz: Sequence[float] | np.ndarray = BAND_CENTERS_HZ
) -> np.ndarray:
    """NAL-R(P) insertion gain in dB at the given frequencies (each must have a k value)."""
    h500, h1000, h2000 = audiogram.levels_at([500.0, 1000.0, 2000.0])
    three = h500 + h1000 + h2000
    x = 0.05 * three if three <= 180.0 else 9.0 + 0.116 * (three - 180.0)
    try:
        k = np.array([NALR_K_DB[int(round(f))] for f in frequencies_hz])
    except KeyError as exc:
        raise OpenhearError(f"NAL-R has no constant for {exc.args[0]} Hz") from None
    return np.maximum(x + 0.31 * audiogram.levels_at(frequencies_hz) + k, 0.0)


def band_edges_hz(centers_hz: npt.ArrayLike) -> np.ndarray:
    """Edges between bands at the geometric means of neighbouring centres (half a
    spacing beyond the ends)."""
    c = np.asarray(centers_hz, float)
    inner = np.sqrt(c[:-1] * c[1:])
    return np.concatenate([[c[0] ** 2 / inner[0]], inner, [c[-1] ** 2 / inner[-1]]])


def speech_band_levels_db_spl(
    centers_hz: npt.ArrayLike, overall_db_spl: float = SPEECH_REFERENCE_DB_SPL
) -> np.ndarray:
    """Level of speech (LTASS) falling into each band, for speech at `overall_db_spl`.

    The lowest band reaches down to 0 Hz and the highest up to any frequency, as in the filterbank.
    """
    edges = band_edges_hz(centers_hz)
    edges[0], edges[-1] = 0.0, np.inf
    third_lo = LTASS_HZ * 2 ** (-1 / 6)
    third_hi = LTASS_HZ * 2 ** (1 / 6)
    intensity = 10 ** (LTASS_DB_SPL / 10)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=False):
        overlap = np.clip(np.minimum(hi, third_hi) - np.maximum(lo, third_lo), 0, None) / (
            third_hi - third_lo
        )
        out.append(10 * np.log10(np.sum(intensity * overlap) + 1e-12))
    return np.array(out) + (overall_db_spl - LTASS_OVERALL_DB_SPL)


def wdrc_ratio(loss_db_hl: float) -> float:
    """The compression ratio the rule gives a band with this hearing loss."""
    return float(
        min(MAX_RATIO, 1.0 + max(0.0, loss_db_hl - RATIO_LOSS_FLOOR_DB_HL) * RATIO_PER_DB_LOSS)
    )


def prescribe_ear(
    audiogram: Audiogram, centers_hz: Sequence[float] | np.ndarray = BAND_CENTERS_HZ
) -> EarFitting:
    """NAL-R(P) gains for the peaks of 65 dB SPL speech with the WDRC rule above, one band
    per centre frequency."""
    losses = audiogram.levels_at(centers_hz)
    ratios = np.array([wdrc_ratio(h) for h in losses])
    gains = np.minimum(
        nal_r_gains_db(audiogram, centers_hz) + SPEECH_PEAKS_ABOVE_LTASS_DB * (1 - 1 / ratios),
        MAX_GAIN_DB,
    )
    references = speech_band_levels_db_spl(centers_hz)
    return EarFitting(
        tuple(
            BandFitting(
                center_hz=float(f),
                gain_db=round(float(g), 2),
                reference_db_spl=round(float(ref), 2),
                threshold_db=round(float(ref - THRESHOLD_BELOW_REFERENCE_DB), 2),
                ratio=round(float(r), 3),
                attack_ms=ATTACK_MS,
                release_ms=RELEASE_MS,
            )
            for f, g, ref, r in zip(centers_hz, gains, references, ratios, strict=False)
        )
    )


def flat_ear(
    gain_db: float = 0.0, centers_hz: Sequence[float] | np.ndarray = BAND_CENTERS_HZ
) -> EarFitting:
    """A linear fitting with the same gain in every band (ratio 1): a flat frequency response."""
    references = speech_band_levels_db_spl(centers_hz)
    return EarFitting(
        tuple(
            BandFitting(
                center_hz=float(f),
                gain_db=gain_db,
                reference_db_spl=round(float(ref), 2),
                threshold_db=round(float(ref - THRESHOLD_BELOW_REFERENCE_DB), 2),
                ratio=1.0,
                attack_ms=ATTACK_MS,
                release_ms=RELEASE_MS,
            )
            for f, ref in zip(centers_hz, references, strict=False)
        )
    )
