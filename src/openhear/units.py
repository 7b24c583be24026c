"""Decibels and linear amplitude gains, written once.

A level difference of `db` decibels is an amplitude (sample value) ratio of 10^(db / 20); a power
(mean square) ratio would be 10^(db / 10). openhear's gains, ceilings and thresholds in dBFS or
dB SPL are amplitude decibels. The real-time chain converts whole arrays in place
(`dsp.chain`) and keeps its own numpy call so that it allocates nothing.
"""

from __future__ import annotations

import math


def db_to_gain(db: float) -> float:
    """The linear amplitude gain of `db` decibels (0 dB is 1.0, +6 dB about 2.0)."""
    return float(10.0 ** (db / 20.0))


def gain_to_db(gain: float) -> float:
    """The decibels of a linear amplitude gain (must be above 0)."""
    return 20.0 * math.log10(gain)
