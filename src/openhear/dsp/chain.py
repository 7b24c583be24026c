"""The amplifier chain of one ear, and of two: noise slot -> filterbank + WDRC + gain -> limiter.

Per ear (`EarChain`, a Processor: prepare / process / reset / latency_frames):

1. optional noise suppression: any Processor (mono float32 blocks in, as many samples out, with
   `latency_frames`), e.g. `openhear.dsp.noise.make_suppressor(kind, strength)`. It runs first, on
   the microphone signal, because suppressors are built for natural noisy speech, not for speech
   already shaped and compressed by a fitting;
2. a low-delay DFT filterbank (`dsp.filterbank`: 4 ms frames, 1 ms hop, bins 250 Hz apart) grouped
   into the fitting's bands (ten, 250 Hz to 8 kHz), with per-band wide dynamic range compression and
   the prescribed gain plus the user's boost, tone and balance (`dsp.wdrc`);
3. the peak limiter (`dsp.limiter`), always last, built into the chain: it cannot be removed or
   bypassed, and its ceiling is `max_output_db_spl` capped at 111 dB SPL whatever the settings say.

Whatever arrives, nothing poisons the chain: each block passes `audio.guard.BlockGuard` before the
suppressor and again before the filterbank, so samples that are not a number or beyond
`audio.guard.MAX_SAMPLE_DBFS` become silence (sources already replace them: this is defence in
depth), the filter and compressor state stay finite, and what follows is processed as if the bad
samples had been zeros.

Levels: a signal with RMS 1.0 is `db_spl_at_0dbfs` dB SPL (default 100). Latency: 4 ms (N - 1
samples of the filterbank) plus what the noise suppressor adds; `EarChain.latency_frames` reports
it.

Gain never jumps: band gains ramp up from 0 dB over `START_RAMP_MS` after prepare/reset and after a
new noise suppressor is swapped in, and cross-fade (in dB) over `CROSSFADE_MS` when settings change.

Threads: `EarSettings` (from a profile, sample-rate independent) is built on any thread; `update`
compiles it for the prepared rate on the calling (control) thread and hands the result over as one
reference; `process` (the audio thread) picks it up at the start of its next block. `set_noise`
hands over a prepared suppressor the same way. Nothing in `process` computes coefficients, locks,
logs or touches files, and it allocates nothing: every work buffer is made in `prepare` for
`max_block_frames` (a larger block reallocates once, which is not for the audio thread), and the
returned block is a view of a buffer of the chain, valid until the next `process` (callers that keep
outputs copy them). So do the noise suppressors (`dsp.noise`), except that the neural ones resample
with soxr, which returns new arrays, at rates other than their own 48 kHz.

API for callers (the CLI, the live runner, the web app, the noise suppressors, the benchmarks)::

    from openhear.dsp.chain import StereoChain, EarChain, EarSettings, amplify_array, amplify_blocks
    chain = StereoChain.from_profile(profile)           # noise suppressor from profile.adjustments
    chain.prepare(sample_rate, max_block_frames)        # allocates; creates, prepares suppressors
    out = chain.process(block)                          # float32 (frames, 2) -> (frames, 2),
                                                        # valid until the next call
    chain.update(profile.with_adjustments(boost_db=6))  # control thread; swapped at the next block
    chain.latency_frames                                # algorithmic delay in samples

    ear = EarChain(EarSettings.from_profile(profile, "left"), noise=my_processor)   # one ear
    ear.prepare(48000, 480); y = ear.process(x)         # x: 1-D float32
    ear.set_noise(other_prepared_processor)             # swap the suppressor while running

    y = amplify_array(samples, sample_rate, profile)    # whole signal, latency removed, (frames, 2)
    for y in amplify_blocks(blocks, sample_rate, profile): ...   # the same, block by block (files)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from openhear.audio.guard import BlockGuard
from openhear.dsp.filterbank import DftFilterbank
from openhear.dsp.limiter import PeakLimiter
from openhear.dsp.processor import Processor
from openhear.dsp.wdrc import BandCompressor, WdrcCurves, WdrcRows, WdrcTables
from openhear.fitting.adjustments import MAX_OUTPUT_LIMIT_DB_SPL, Adjustments
from openhear.fitting.profile import FittingProfile
from openhear.units import db_to_gain

START_RAMP_MS = 20.0
"""After start (and after a new noise suppressor is swapped in) the band gains rise from 0 dB to the
fitting's over this time: amplification ramps in, the sound itself is never cut."""
CROSSFADE_MS = 50.0
"""Band gains glide from old to new settings over this time."""
DEFAULT_MAX_BLOCK_FRAMES = 4096


@dataclass(frozen=True, eq=False)
class EarSettings:
    """Everything that decides one ear's processing, independent of the sample rate."""

    curves: WdrcCurves
    """Band gains and compression, adjustments included."""
    max_output_db_spl: float
    """Requested ceiling for output peaks (capped at 111 dB SPL by `ceiling_amplitude`)."""
    db_spl_at_0dbfs: float
    """Calibration: dB SPL of a 0 dBFS RMS signal."""

    @classmethod
    def from_profile(cls, profile: FittingProfile, side: str) -> EarSettings:
        """The settings of the "left" or "right" ear of a fitting profile."""
        fitting = profile.ear(side)
        offsets = profile.adjustments.offsets_db(fitting.centers_hz, side)
        return cls(
            WdrcCurves.from_fitting(fitting, offsets),
            profile.adjustments.max_output_db_spl,
            profile.db_spl_at_0dbfs,
        )

    @property
    def ceiling_amplitude(self) -> float:
        """The limiter ceiling as a linear sample amplitude; never above 111 dB SPL."""
        return db_to_gain(
            min(self.max_output_db_spl, MAX_OUTPUT_LIMIT_DB_SPL) - self.db_spl_at_0dbfs
        )


@dataclass(frozen=True, eq=False)
class _Compiled:
    settings: EarSettings
    tables: WdrcTables
    gain_matrix: np.ndarray
    """`tables.gain_matrix` in float64, the precision the band gains are spread over bins in."""
    rows: WdrcRows
    """The tables' per-band constants repeated for the largest block's frames."""


class EarChain:
    """One ear's chain (a Processor). See the module docstring for the stages
    and threading rules."""

    def __init__(self, settings: EarSettings, noise: Processor | None = None):
        self._settings = settings
        self._noise = noise
        self._noise_handover: tuple[Processor | None] | None = None
        self._limiter = PeakLimiter(settings.ceiling_amplitude)
        self._guard = BlockGuard()
        self._filterbank: DftFilterbank | None = None

    @property
    def latency_frames(self) -> int:
        """Algorithmic delay in samples: filterbank plus noise suppressor (prepare first)."""
        if self._filterbank is None:
            raise RuntimeError("EarChain.latency_frames needs prepare() first")
        noise = self._noise.latency_frames if self._noise is not None else 0
        return self._filterbank.latency_frames + noise

    def prepare(self, sample_rate: int, max_block_frames: int) -> None:
        self._filterbank = fb = DftFilterbank(sample_rate)
        self._allocate(max_block_frames)
        self._compressor = BandCompressor(
            len(self._settings.curves.centers_hz),
            fb.max_frames,
            fb.n_bins,
        )
        self._active = self._compile(self._settings)
        self._next = self._active
        hop_s = fb.hop / sample_rate
        self._ramp_frames = max(1, round(START_RAMP_MS / 1000.0 / hop_s))
        self._crossfade_frames = max(1, round(CROSSFADE_MS / 1000.0 / hop_s))
        if self._noise is not None:
            self._noise.prepare(sample_rate, max_block_frames)
        self._limiter.prepare(sample_rate, max_block_frames)
        self.reset()

    def _allocate(self, max_block_frames: int) -> None:
        """Work buffers for blocks of up to `max_block_frames` (the filterbank's
        and the chain's own)."""
        fb = self._filterbank
        assert fb is not None, "prepare() first"
        fb.prepare(max_block_frames)
        self._guard.prepare(fb.sample_rate, max_block_frames)
        n_bands = len(self._settings.curves.centers_hz)
        self._max_block = max_block_frames
        self._steps = np.arange(1.0, fb.max_frames + 1.0)[:, None]
        self._weights = np.zeros((fb.max_frames, 1))
        self._band_weights = np.zeros((fb.max_frames, n_bands))
        self._gains_db = np.zeros((fb.max_frames, n_bands))
        self._previous_gains_db = np.zeros((fb.max_frames, n_bands))
        self._bin_gains64 = np.zeros((fb.max_frames, fb.n_bins))
        self._bin_gains32 = np.zeros((fb.max_frames, fb.n_bins), np.float32)

    def _compile(self, settings: EarSettings) -> _Compiled:
        fb = self._filterbank
        assert fb is not None, "prepare() first"
        tables = WdrcTables.compile(settings.curves, fb)
        return _Compiled(
            settings,
            tables,
            tables.gain_matrix.astype(np.float64),
            tables.rows(fb.max_frames),
        )

    def reset(self) -> None:
        if self._filterbank is None:
            raise RuntimeError("EarChain.reset needs prepare() first")
        self._filterbank.reset()
        self._compressor.reset()
        self._limiter.reset()
        self._limiter.set_ceiling(self._next.settings.ceiling_amplitude)
        if self._noise is not None:
            self._noise.reset()
        self._active = self._next
        self._previous: _Compiled | None = None
        self._crossfade_done = 0
        self._ramp_done = 0

    def update(self, settings: EarSettings) -> None:
        """New settings, compiled here (the control thread) and picked up by the next `process`."""
        self._settings = settings
        if self._filterbank is None:
            self._limiter.set_ceiling(settings.ceiling_amplitude)
        else:
            self._next = self._compile(settings)

    def set_noise(self, noise: Processor | None) -> None:
        """Swap in a prepared noise suppressor (or None) at the next block; the gain ramps in again.
        Before `prepare`, the suppressor simply replaces the one given to the constructor."""
        if self._filterbank is None:
            self._noise = noise
        else:
            self._noise_handover = (noise,)

    def process(self, block: np.ndarray) -> np.ndarray:
        nxt = self._next
        if nxt is not self._active:
            self._previous, self._active = self._active, nxt
            self._crossfade_done = 0
            self._limiter.set_ceiling(nxt.settings.ceiling_amplitude)
        handover = self._noise_handover
        if handover is not None:
            self._noise_handover = None
            self._noise = handover[0]
            self._ramp_done = 0
        if (
            len(block) > self._max_block
        ):  # larger than prepared: reallocates and recompiles (not for the audio thread)
            self._allocate(len(block))
            self._active = self._next = self._compile(self._active.settings)
            if self._previous is not None:
                self._previous = self._compile(self._previous.settings)
        x = self._guard.process(block)
        if self._noise is not None:
            x = self._guard.process(self._noise.process(x))
        fb = self._filterbank
        assert fb is not None, "prepare() first"
        spectra = fb.analyze(x)
        if spectra.shape[0]:
            gains = self._bin_gains(spectra)
            spectra.real *= gains  # as multiplying by the real gains, without a complex temporary
            spectra.imag *= gains
        return self._limiter.process(fb.synthesize(spectra, len(x)))

    def _ramp_weights(self, done: int, length: int, n_frames: int) -> np.ndarray:
        """min((done + 1 .. done + n_frames) / length, 1) for each frame,
        repeated over the bands."""
        w = np.add(self._steps[:n_frames], done, out=self._weights[:n_frames])
        w /= length
        np.minimum(w, 1.0, out=w)
        rows = self._band_weights[:n_frames]
        rows[:] = w  # a copy, which (unlike a broadcasting ufunc) needs no buffer
        return rows

    def _bin_gains(self, spectra: np.ndarray) -> np.ndarray:
        active = self._active
        tables = active.tables
        n_frames = spectra.shape[0]
        levels = self._compressor.levels_db(
            spectra, tables, active.settings.db_spl_at_0dbfs, active.rows
        )
        gains_db = tables.curves.gains_db(levels, self._gains_db[:n_frames], active.rows)
        if self._previous is not None:
            previous = self._previous.tables.curves.gains_db(
                levels, self._previous_gains_db[:n_frames], self._previous.rows
            )
            w = self._ramp_weights(self._crossfade_done, self._crossfade_frames, n_frames)
            gains_db *= w
            previous *= np.subtract(1.0, w, out=w)
            gains_db += previous
            self._crossfade_done += n_frames
            if self._crossfade_done >= self._crossfade_frames:
                self._previous = None
        if self._ramp_done < self._ramp_frames:
            gains_db *= self._ramp_weights(self._ramp_done, self._ramp_frames, n_frames)
            self._ramp_done += n_frames
        gains_db /= 20.0
        linear = np.power(10.0, gains_db, out=gains_db)
        bin_gains = np.matmul(linear, active.gain_matrix, out=self._bin_gains64[:n_frames])
        out = self._bin_gains32[:n_frames]
        out[:] = bin_gains
        return out


def _noise_for(adjustments: Adjustments) -> Processor | None:
    """An unprepared noise suppressor for the profile's choice, or None."""
    if adjustments.noise_kind == "none" or adjustments.noise_strength == 0.0:
        return None
    from openhear.dsp.noise import make_suppressor

    return make_suppressor(adjustments.noise_kind, adjustments.noise_strength)


class StereoChain:
    """A left and a right EarChain processing (frames, 2) blocks."""

    def __init__(
        self, left: EarChain, right: EarChain, noise_choice: tuple[str, float] = ("none", 0.0)
    ):
        self.left = left
        self.right = right
        self._noise_choice = noise_choice
        self._sample_rate = 0
        self._max_block_frames = 0
        self._out = np.zeros((0, 2), np.float32)

    @classmethod
    def from_profile(cls, profile: FittingProfile) -> StereoChain:
        """Both ears of a profile, with the noise suppressor its adjustments
        choose (created per ear)."""
        adj = profile.adjustments
        ears = [
            EarChain(EarSettings.from_profile(profile, side), _noise_for(adj))
            for side in ("left", "right")
        ]
        return cls(ears[0], ears[1], (adj.noise_kind, adj.noise_strength))

    @property
    def latency_frames(self) -> int:
        return max(self.left.latency_frames, self.right.latency_frames)

    def prepare(self, sample_rate: int, max_block_frames: int) -> None:
        self._sample_rate, self._max_block_frames = sample_rate, max_block_frames
        self._out = np.zeros((max_block_frames, 2), np.float32)
        self.left.prepare(sample_rate, max_block_frames)
        self.right.prepare(sample_rate, max_block_frames)

    def reset(self) -> None:
        self.left.reset()
        self.right.reset()

    def process(self, block: np.ndarray) -> np.ndarray:
        """float32 (frames, 2) in, (frames, 2) out: a view of a buffer of the chain, valid
        until the next call."""
        n = block.shape[0]
        if n > len(self._out):  # larger than prepared: allocates once (not for the audio thread)
            self._out = np.zeros((n, 2), np.float32)
        out = self._out[:n]
        out[:, 0] = self.left.process(block[:, 0])
        out[:, 1] = self.right.process(block[:, 1])
        return out

    def update(self, profile: FittingProfile) -> None:
        """Take a changed profile (sliders, a new fitting) on the control thread;
        heavy work happens here."""
        adj = profile.adjustments
        choice = (adj.noise_kind, adj.noise_strength)
        for side, ear in (("left", self.left), ("right", self.right)):
            ear.update(EarSettings.from_profile(profile, side))
            if choice != self._noise_choice:
                noise = _noise_for(adj)
                if noise is not None and self._sample_rate:
                    noise.prepare(self._sample_rate, self._max_block_frames)
                ear.set_noise(noise)
        self._noise_choice = choice


def as_stereo(samples: np.ndarray) -> np.ndarray:
    """(frames,) or (frames, channels) as float32 (frames, 2): mono is sent to both ears, more than
    two channels are mixed to mono first."""
    x = np.asarray(samples, np.float32)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[1] == 2:
        return np.ascontiguousarray(x)
    mono = x.mean(axis=1, dtype=np.float32) if x.shape[1] > 2 else x[:, 0]
    return np.repeat(mono[:, None], 2, axis=1)


def run_aligned(
    chain: StereoChain, blocks: Iterable[np.ndarray], max_block_frames: int
) -> Iterator[np.ndarray]:
    """Stream (frames, 2) blocks through a prepared chain, yielding output aligned with the input:
    the first `latency_frames` output samples are dropped and the tail is flushed with silence, so
    exactly as many frames come out as went in. Each yielded block is valid until the next is asked
    for."""
    skip = chain.latency_frames
    for block in blocks:
        for start in range(0, len(block), max_block_frames):
            y = chain.process(block[start : start + max_block_frames])
            drop = min(skip, len(y))
            skip -= drop
            if len(y) > drop:
                yield y[drop:]
    flush = chain.latency_frames
    while flush > 0:
        n = min(flush, max_block_frames)
        flush -= n
        y = chain.process(np.zeros((n, 2), np.float32))
        drop = min(skip, n)
        skip -= drop
        if n > drop:
            yield y[drop:]


def amplify_blocks(
    blocks: Iterable[np.ndarray],
    sample_rate: int,
    profile: FittingProfile,
    block_frames: int = DEFAULT_MAX_BLOCK_FRAMES,
) -> Iterator[np.ndarray]:
    """A signal given in blocks ((frames,) or (frames, channels), any sizes) through a fresh
    stereo chain, `block_frames` at a time from the start of each block: (frames, 2) float32 blocks
    aligned with the input, as many frames in all, each valid until the next is asked for. Memory
    does not depend on the signal's length: this is how files of any length are amplified."""
    chain = StereoChain.from_profile(profile)
    chain.prepare(sample_rate, block_frames)
    yield from run_aligned(chain, (as_stereo(b) for b in blocks), block_frames)


def amplify_array(
    samples: np.ndarray,
    sample_rate: int,
    profile: FittingProfile,
    block_frames: int = DEFAULT_MAX_BLOCK_FRAMES,
) -> np.ndarray:
    """A whole signal through a fresh stereo chain (`amplify_blocks`): (frames, 2), aligned."""
    blocks = (samples[i : i + block_frames] for i in range(0, len(samples), block_frames))
    out = np.empty((len(samples), 2), np.float32)
    done = 0
    for y in amplify_blocks(blocks, sample_rate, profile, block_frames):
        out[done : done + len(y)] = y
        done += len(y)
    return out
