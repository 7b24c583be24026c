"""What a listener hears: the MSBG hearing-loss simulator (pyclarity, Cambridge model) per ear.

MSBG (Moore, Stone, Baer, Glasberg) smears the spectrum, simulates loudness recruitment and raises
thresholds to the audiogram; it runs at 44.1 kHz only, so the signal is resampled there and back
(soxr, one stream each way). Levels follow our calibration: MSBG is told that 0 dBFS RMS is
`db_spl_at_0dbfs` dB SPL. pyclarity is imported here only (it is an evaluation dependency installed
without its torch extras).

Bounded memory: MSBG works on whole arrays and needs about 14 MB per second of audio, so a signal
longer than one segment (`SEGMENT_S`) is processed segment by segment, each with `CONTEXT_S` of
signal either side that is processed and discarded (overlap-save): its filters then see the same
neighbourhood as in one pass, and the smearing frames fall on the same 64-sample grid. MSBG first
rescales its input by a factor measured over the whole signal (the overall RMS over the RMS of the
active 10 ms frames, `Ear.process`); for a long signal two cheap streaming passes measure that
factor over the whole signal first, so every segment gets the one factor a single pass would have
used. A signal that fits in one segment is processed exactly as `Ear.process` does, in one piece.

Logging: MSBG logs on the root logger (`logging.info(...)`) at every call. Its modules are pointed
at the "clarity.evaluator.msbg" logger instead, which passes on errors only; the root logger and
every other logger are left alone.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

import numpy as np
from scipy.signal import firwin, lfilter

from openhear.audio.block import AudioBlock
from openhear.audio.resample import StreamResampler
from openhear.dsp.chain import as_stereo
from openhear.errors import OpenhearError
from openhear.fitting.audiogram import Audiogram, Listener
from openhear.fitting.profile import DEFAULT_DB_SPL_AT_0DBFS

MSBG_RATE = 44100
MSBG_FREQUENCIES_HZ = (250, 500, 1000, 2000, 3000, 4000, 6000, 8000)
HEADROOM_DB = 20.0
"""MSBG's `ahr`: it adds this to `equiv_0db_spl`, so we pass the calibration less this."""
SEGMENT_S = 15.0
"""Longest stretch MSBG processes at once (rounded to its 64-sample smearing hop at 44.1 kHz)."""
CONTEXT_S = 0.5
"""Signal processed on either side of a segment and discarded: MSBG's filter tails (gammatone, the
two-way envelope filter) decay well within it (0.1 s already gives the one-pass output within 1e-8
of full scale)."""
MSBG_LOGGER = "clarity.evaluator.msbg"
"""The logger MSBG's messages are sent to; it passes on errors only."""
_SMEAR_HOP = 64
"""MSBG's smearing frame hop at 44.1 kHz (clarity.evaluator.msbg.smearing.SHIFT)."""
_SMEAR_FRAME = 256
"""MSBG's smearing frame (smearing.FRAME_SIZE): shorter stretches are padded with silence."""
_LEVEL_FRAME = round(0.01 * MSBG_RATE)
"""MSBG's level measurement frame, 10 ms (clarity.evaluator.msbg.msbg_utils.WIN_SECS)."""
_ACTIVE_DB_BELOW_RMS = 12.0
"""MSBG counts frames within this many dB below the overall RMS as active (`measure_rms`)."""


class _RoutedLogging:
    """Stands in for the `logging` module inside MSBG's modules, which log on the root logger:
    their messages go to one named logger instead; anything else is the real module's."""

    def __init__(self, logger: logging.Logger):
        self._logger = logger

    def __getattr__(self, name: str) -> Any:
        if name in ("debug", "info", "warning", "error", "exception", "critical", "log"):
            return getattr(self._logger, name)
        return getattr(logging, name)


@lru_cache(maxsize=1)
def _msbg() -> SimpleNamespace:
    """What we use of pyclarity's MSBG, its logging routed to MSBG_LOGGER (once per process)."""
    try:
        from clarity.evaluator.msbg import cochlea, msbg, msbg_utils, smearing
        from clarity.utils.audiogram import Audiogram as ClarityAudiogram
    except ImportError as exc:
        raise OpenhearError(
            "the hearing-loss simulator needs pyclarity "
            f"(pip install --no-deps pyclarity==0.9.0): {exc}"
        ) from None
    logger = logging.getLogger(MSBG_LOGGER)
    logger.setLevel(logging.ERROR)
    routed = _RoutedLogging(logger)
    for module in (msbg, msbg_utils, cochlea, smearing):
        if getattr(module, "logging", None) is logging:
            module.logging = routed
    return SimpleNamespace(
        Ear=msbg.Ear,
        Audiogram=ClarityAudiogram,
        measure_rms=msbg_utils.measure_rms,
        upper_cutoff_hz=msbg.UPPER_CUTOFF_HZ,
    )


@lru_cache(maxsize=4)
def _ear(levels_db_hl: tuple[float, ...], db_spl_at_0dbfs: float) -> Any:
    """An MSBG ear for these thresholds (building one costs seconds: its smearing matrix is a
    least-squares fit)."""
    msbg = _msbg()
    ear = msbg.Ear(
        src_pos="ff",
        sample_rate=MSBG_RATE,
        equiv_0db_spl=db_spl_at_0dbfs - HEADROOM_DB,
        ahr=HEADROOM_DB,
    )
    ear.set_audiogram(
        msbg.Audiogram(levels=np.array(levels_db_hl), frequencies=np.array(MSBG_FREQUENCIES_HZ))
    )
    return ear


@lru_cache(maxsize=1)
def _output_lowpass() -> np.ndarray:
    """MSBG's last filter, flat to 18 kHz (as `Ear.process` designs it)."""
    taps = 2 * math.floor(0.0015 * MSBG_RATE) + 1
    return firwin(taps, _msbg().upper_cutoff_hz / int(MSBG_RATE / 2), window=("kaiser", 8))


def _change_db(signal_rms_level_db: float, calculated_rms: float, equiv_0db_spl: float) -> float:
    """MSBG's input rescaling in dB, from the overall level and the active-frame RMS (the
    arithmetic of `Ear.process`, in its order). A signal with no 10 ms frame above MSBG's -80 dBFS
    floor has no active RMS (MSBG would fill it with NaN, written as full-scale samples): it is
    left at its level."""
    if not calculated_rms > 0:
        return 0.0
    target_spl = equiv_0db_spl + signal_rms_level_db
    return target_spl - (equiv_0db_spl + 20 * np.log10(calculated_rms))


def _equiv_0db_spl(ear: Any) -> float:
    return ear.equiv_0db_spl + ear.ahr


def _own_change_db(ear: Any, signal: np.ndarray) -> float:
    """The rescaling MSBG's `Ear.process` gives a (1, frames) float64 signal."""
    with np.errstate(invalid="ignore"):  # no active frame: NaN, handled by _change_db
        calculated_rms = _msbg().measure_rms(signal[0], MSBG_RATE, -_ACTIVE_DB_BELOW_RMS)[0]
    signal_rms_level_db = 10 * np.log10(np.mean(np.array(signal) ** 2))
    return _change_db(signal_rms_level_db, calculated_rms, _equiv_0db_spl(ear))


def _run_msbg(ear: Any, x: np.ndarray, change_db: float | None) -> np.ndarray:
    """MSBG on one stretch at 44.1 kHz (1-D float32), rescaled by `change_db` (None: by its own
    measurement, as `Ear.process`): the steps of `Ear.process` (pyclarity 0.9.0), float32 out."""
    if not np.any(x):
        return np.zeros(len(x), np.float32)  # silence stays silence (and MSBG cannot level it)
    if change_db is None and len(x) < _LEVEL_FRAME:
        raise OpenhearError(
            "too short for the hearing-loss simulator: MSBG needs at least "
            f"{1000 * _LEVEL_FRAME / MSBG_RATE:.0f} ms of sound"
        )
    msbg = _msbg()
    signal = np.zeros((1, max(len(x), _SMEAR_FRAME)))  # MSBG fails on less than one frame
    signal[0, : len(x)] = x
    if change_db is None:
        change_db = _own_change_db(ear, signal)
    signal = signal * np.power(10, 0.05 * change_db)
    signal = msbg.Ear.src_to_cochlea_filt(signal, ear.src_correction, MSBG_RATE)
    signal = np.array([ear.cochlea.simulate(row, _equiv_0db_spl(ear)) for row in signal])
    signal = msbg.Ear.src_to_cochlea_filt(signal, ear.src_correction, MSBG_RATE, backward=True)
    return np.asarray(lfilter(_output_lowpass(), [1.0], signal[0]), np.float32)


def _resampled(blocks: Iterable[np.ndarray], rate: int, out_rate: int) -> Iterator[np.ndarray]:
    """(frames, 2) float32 blocks resampled as one stream (the same samples as resampling the whole
    signal at once), flushed at the end."""
    resampler = StreamResampler(rate, out_rate, 2)
    for block in blocks:
        y = resampler.process(AudioBlock(np.ascontiguousarray(block, np.float32), rate)).samples
        if len(y):
            yield y
    yield resampler.flush().samples


class _ActiveLevel:
    """MSBG's level measurement (`measure_rms`: overall RMS, then the RMS of the 10 ms frames within
    12 dB of it) of each of two channels, over a stream in two passes: `add_overall` every block,
    then `add_frames` every block from the start again."""

    def __init__(self) -> None:
        self._sum = np.zeros(2)
        self._count = 0
        self._threshold_db = np.zeros(2)
        self._floor = np.zeros(2)
        self._pending = np.zeros((0, 2))
        self._active_sum = np.zeros(2)
        self._active_count = np.zeros(2)

    def add_overall(self, block: np.ndarray) -> None:
        self._sum += np.sum(np.square(block, dtype=np.float64), axis=0)
        self._count += len(block)

    def start_frames(self) -> None:
        """After the first pass: the threshold for active frames, as `measure_rms` sets it."""
        rms = np.sqrt(self._sum / max(self._count, 1))
        with np.errstate(divide="ignore"):
            self._threshold_db = np.maximum(20 * np.log10(rms) - _ACTIVE_DB_BELOW_RMS, -80.0)
        self._floor = np.power(10, (self._threshold_db - 30) / 10)

    def add_frames(self, block: np.ndarray) -> None:
        x = np.concatenate([self._pending, np.asarray(block, np.float64)])
        whole = len(x) - len(x) % _LEVEL_FRAME
        self._pending = x[whole:]
        sums = np.sum(np.square(x[:whole]).reshape(-1, _LEVEL_FRAME, 2), axis=1)
        active = 10 * np.log10(self._floor + sums / _LEVEL_FRAME) >= self._threshold_db
        self._active_sum += np.sum(sums * active, axis=0)
        self._active_count += _LEVEL_FRAME * np.sum(active, axis=0)

    def change_db(self, ear: Any, channel: int) -> float:
        """MSBG's rescaling for one channel, as `Ear.process` computes it over the whole signal."""
        with np.errstate(divide="ignore", invalid="ignore"):
            signal_rms_level_db = 10 * np.log10(self._sum[channel] / self._count)
            calculated_rms = np.sqrt(self._active_sum[channel] / self._active_count[channel])
        return _change_db(signal_rms_level_db, calculated_rms, _equiv_0db_spl(ear))


def _whole_signal_change_db(
    open_stream: Callable[[], Iterator[np.ndarray]], ears: tuple[Any, Any]
) -> tuple[float, float]:
    """MSBG's rescaling of each ear measured over the whole 44.1 kHz stream, in two passes."""
    level = _ActiveLevel()
    for block in open_stream():
        level.add_overall(block)
    level.start_frames()
    for block in open_stream():
        level.add_frames(block)
    return level.change_db(ears[0], 0), level.change_db(ears[1], 1)


def _segments(
    stream: Iterator[np.ndarray],
    process: Callable[[np.ndarray, tuple[float, float] | None], np.ndarray],
    measure: Callable[[], tuple[float, float]],
    segment: int,
    context: int,
) -> Iterator[np.ndarray]:
    """Overlap-save over a (frames, 2) stream: each `segment` frames are processed with up to
    `context` frames either side and only their own output is kept; the last one keeps all its
    output (MSBG's tail included). A stream of at most segment + context frames is processed whole
    with MSBG's own level measurement (process(x, None)); a longer one with `measure()`'s."""
    buffer = np.zeros((0, 2), np.float32)
    buffer_start = 0  # stream index of buffer[0]
    core = 0  # stream index of the next segment's first frame
    change_db = None
    for block in stream:
        buffer = np.concatenate([buffer, block])
        while buffer_start + len(buffer) > core + segment + context:
            if change_db is None:
                change_db = measure()
            start = max(0, core - context)
            y = process(
                buffer[start - buffer_start : core + segment + context - buffer_start], change_db
            )
            yield y[core - start : core - start + segment]
            core += segment
            buffer = buffer[core - context - buffer_start :]
            buffer_start = core - context
    start = max(0, core - context)
    yield process(buffer[start - buffer_start :], change_db)[core - start :]


def simulate_listener_blocks(
    open_blocks: Callable[[], Iterable[np.ndarray]],
    sample_rate: int,
    listener: Listener,
    db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS,
    segment_s: float = SEGMENT_S,
    context_s: float = CONTEXT_S,
) -> Iterator[np.ndarray]:
    """A signal as heard by both ears, in bounded memory: (frames, 2) float32 blocks at the input's
    rate, as many frames in all as the input. `open_blocks()` gives the signal from its start, in
    blocks ((frames,) or (frames, channels), any sizes); it is called again for the two level passes
    when the signal is longer than one segment. Stereo input: left channel to the left ear."""
    ears = tuple(
        _ear(tuple(float(v) for v in a.levels_at(MSBG_FREQUENCIES_HZ)), db_spl_at_0dbfs)
        for a in (listener.left, listener.right)
    )
    same_ears = listener.left == listener.right
    frames = 0

    def counted() -> Iterator[np.ndarray]:
        nonlocal frames
        for block in open_blocks():
            stereo = as_stereo(block)
            frames += len(stereo)
            yield stereo

    def open_stream() -> Iterator[np.ndarray]:
        return _resampled((as_stereo(b) for b in open_blocks()), sample_rate, MSBG_RATE)

    def process(x: np.ndarray, change_db: tuple[float, float] | None) -> np.ndarray:
        left, right = (x[:, 0], x[:, 1])
        gains = change_db or (None, None)
        heard_left = _run_msbg(ears[0], left, gains[0])
        if same_ears and gains[0] == gains[1] and np.array_equal(left, right):
            return np.stack([heard_left, heard_left], axis=1)  # MSBG is slow: run it once
        return np.stack([heard_left, _run_msbg(ears[1], right, gains[1])], axis=1)

    hop = _SMEAR_HOP
    heard = _segments(
        _resampled(counted(), sample_rate, MSBG_RATE),
        process,
        lambda: _whole_signal_change_db(open_stream, ears),
        max(hop, round(segment_s * MSBG_RATE / hop) * hop),
        round(context_s * MSBG_RATE / hop) * hop,
    )
    done = 0
    for y in _resampled(heard, MSBG_RATE, sample_rate):
        y = y[: max(0, frames - done)]
        done += len(y)
        if len(y):
            yield y
    if done < frames:
        yield np.zeros((frames - done, 2), np.float32)


def simulate_listener(
    samples: np.ndarray,
    sample_rate: int,
    listener: Listener,
    db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS,
) -> np.ndarray:
    """A (frames,) or (frames, channels) signal as heard by both ears: (frames, 2), left then right
    (`simulate_listener_blocks` on the whole array)."""
    parts = list(
        simulate_listener_blocks(lambda: [samples], sample_rate, listener, db_spl_at_0dbfs)
    )
    return np.concatenate(parts) if parts else np.zeros((0, 2), np.float32)


def simulate_ear(
    samples: np.ndarray,
    sample_rate: int,
    audiogram: Audiogram,
    db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS,
) -> np.ndarray:
    """One channel as heard by an ear with this audiogram, at the input's rate and length."""
    listener = Listener(audiogram, audiogram)
    return simulate_listener(np.asarray(samples)[:, None], sample_rate, listener, db_spl_at_0dbfs)[
        :, 0
    ]
