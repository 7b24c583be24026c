"""Echo suppression: our own spoken reply, heard back by the microphone, must not be captioned as
theirs.

Two ways. `EchoCanceller` (the default) subtracts the reply, whose sound we know because we made
it, from the caption input: the other person is still captioned while they talk over our reply.
`EchoGate` (the fallback, `--echo mute`) is half-duplex, as relay phones are: while a reply plays
(and for a short tail after, covering the sound card's output and input latency and the room's
reverberation) the caption input is replaced by silence; the cost is that the other person is not
captioned while they talk over our reply. Either way the captioner still receives every sample,
so its clock stays aligned with the conversation's."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from openhear.audio.block import AudioBlock
from openhear.audio.resample import StreamResampler
from openhear.errors import OpenhearError


class EchoGate:
    """Spans of conversation time during which the caption input is silenced;
    safe across threads."""

    def __init__(self, tail_s: float = 0.5):
        self.tail_s = tail_s
        """Silence kept after the last reply sample, seconds."""
        self._spans: list[tuple[float, float]] = []
        self._playing_until_s = 0.0
        self._lock = threading.Lock()

    @property
    def playing_until_s(self) -> float:
        """Conversation time at which the queued reply audio will have finished playing."""
        return self._playing_until_s

    def playing(self, now_s: float, block: AudioBlock) -> None:
        """A block of reply audio is handed to the player at `now_s` (it plays after any
        queued)."""
        with self._lock:
            begin = max(now_s, self._playing_until_s)
            self._playing_until_s = begin + block.duration_s
            end = self._playing_until_s + self.tail_s
            if self._spans and begin <= self._spans[-1][1]:
                self._spans[-1] = (self._spans[-1][0], end)
            else:
                self._spans.append((begin, end))

    def apply(self, block: AudioBlock) -> AudioBlock:
        """The block with every sample inside a gated span replaced by silence."""
        with self._lock:
            self._spans = [s for s in self._spans if s[1] > block.start_s]
            spans = list(self._spans)
        if not spans or spans[0][0] >= block.end_s:
            return block
        samples = block.samples.copy()
        for begin, end in spans:
            first = max(0, int(np.floor((begin - block.start_s) * block.sample_rate)))
            last = min(block.frames, int(np.ceil((end - block.start_s) * block.sample_rate)))
            if first < last:
                samples[first:last] = 0.0
        return AudioBlock(samples, block.sample_rate, block.start_s)


FRAME_S = 0.01
"""The echo canceller works on 10 ms frames."""
AEC3_RATES = (16000, 32000, 48000)
"""Rates AEC3 works at; input at another rate is resampled to the first (the captioner's)."""
AEC3_DELAY_S = 0.3
"""AEC3 finds the echo by itself up to about this far behind its reference (bench/echo.py: 33 dB
echo removed at 300 ms, 11 dB at 500 ms)."""
MAX_DELAY_S = 1.5
"""Longest playback delay the canceller looks for (a browser's network and buffers)."""
PROBE_S = 1.5
"""Length of the start of a reply used to find where its echo is in the microphone's sound."""
PROBE_PEAK = 6.0
"""The delay found is believed when its correlation peak stands this many times above the
correlation's mean magnitude."""
HEARD_COHERENCE = 0.05
"""A reply is heard back where the coherence of its probe with the microphone's sound, at the best
of the likeliest delays (CANDIDATES), is at least this (0.15 to 0.3 for an echo alone or as loud
as the other person talking over it; 0.06 to 0.15 for one 10 dB quieter)."""
UNHEARD_COHERENCE = 0.03
"""... and not heard back at all below this (0.01 to 0.045 for unrelated speech; an echo 20 dB
quieter than the other person talking over it, 0.02 to 0.05, is not told from none)."""
CANDIDATES = 5
"""Lags of the strongest correlation peaks at which the coherence is measured."""
COHERENCE_BAND = (200.0, 4000.0)
"""Band over which the coherence is averaged, Hz."""
PROBE_LEVEL = 1e-4
"""A reply's start is only a test of whether its echo is heard when it carries sound: mean square
of the probe (about -40 dBFS)."""


class EchoCanceller:
    """Acoustic echo cancellation with the reply itself as the reference: WebRTC's AEC3 (the echo
    canceller of Chrome's WebRTC stack, through pywebrtc-audio) subtracts the reply's sound, as the
    room shaped it, from the caption input, so the other person is still captioned while our reply
    plays. Same interface as EchoGate; safe across threads.

    The reference is placed on the conversation's clock where it is handed to the player (after
    what is queued). AEC3's delay estimator finds a delay up to AEC3_DELAY_S by itself; a longer
    one (a browser plays the reply after the network and its buffers) is found here: at the start
    of each reply, the phase-transform cross-correlation (GCC-PHAT) of its first PROBE_S seconds
    with the microphone's sound says how late the echo comes, and the reference is moved by that
    much (less a margin AEC3 takes up). Caption input passes through with a constant delay of one
    10 ms frame; its times are kept.

    The same probe says whether the reply is heard at all. Where it is not (a headset, or the
    browser's own canceller has removed it), AEC3 has no echo to remove, but its suppressor still
    softens whatever the microphone hears while a reply plays, as if it were echo: the other
    person's words over our reply are damaged for nothing. So once a reply has been probed and no
    echo found, and until a probe finds one (from then on for the rest of the conversation: an echo
    once heard is assumed to stay), the caption input passes unchanged (AEC3 still runs, to stay
    adapted). Before the first probe AEC3's output is used, unless `assume_unheard` was called.
    The probe's evidence is the coherence of the reply's start with the microphone's sound at the
    delay found: a correlation peak alone also appears between unrelated speech."""

    def __init__(self, delay_hint_ms: int = 0):
        """`delay_hint_ms`: the expected delay from handing audio to the player to hearing it
        (0: let AEC3 estimate it)."""
        try:
            from pywebrtc_audio import EchoCanceller as Aec3
        except ImportError:
            raise OpenhearError(
                "echo cancellation needs the pywebrtc-audio package (reinstall openhear), "
                "or mute captions while a reply plays instead (--echo mute)"
            ) from None
        self._aec3 = Aec3
        self.delay_hint_ms = delay_hint_ms
        """Hint given to AEC3 for the playback-to-microphone delay, milliseconds."""
        self._segments: list[tuple[float, AudioBlock]] = []
        self._converted: dict[int, np.ndarray] = {}
        self._playing_until_s = 0.0
        self._lock = threading.Lock()
        self._aec: Any = None
        self._rate = 0
        self._in_rate = 0
        self._resampler: StreamResampler | None = None
        self._near = np.zeros(0, np.float32)
        self._far = np.zeros(0, np.float32)
        self._out = np.zeros(0, np.float32)
        self.shift_s = 0.0
        """How much later than placed the reference is given to AEC3 (the delay found, seconds)."""
        self._heard: list[np.ndarray] = []  # the microphone's recent sound, before cancelling
        self._heard_until_s = 0.0
        self._probed: set[float] = set()  # replies (their start times) already probed
        self.echo_heard: bool | None = None
        """Whether the replies' echo reaches the microphone: True once a probe has found it, False
        when the replies probed so far were not heard (the input then passes unchanged), None
        before the first probe."""
        self._passing = False  # the last frame given out was the input unchanged

    @property
    def playing_until_s(self) -> float:
        """Conversation time at which the queued reply audio will have finished playing."""
        return self._playing_until_s

    def assume_unheard(self) -> None:
        """The microphone's sound has had the replies removed already (a browser's own echo
        canceller): until a probe hears them, let the input pass from the first reply on, instead
        of waiting for the first probe (MAX_DELAY_S + PROBE_S into it)."""
        if self.echo_heard is None:
            self.echo_heard = False
            self._passing = self._aec is None  # nothing given out yet: no fade

    @property
    def _frame(self) -> int:
        return int(round(self._rate * FRAME_S))

    def playing(self, now_s: float, block: AudioBlock) -> None:
        """A block of reply audio is handed to the player at `now_s` (it plays after any queued)."""
        with self._lock:
            begin = max(now_s, self._playing_until_s)
            self._playing_until_s = begin + block.duration_s
            self._segments.append((begin, block))

    def _reference(self, start_s: float, frames: int, rate: int) -> np.ndarray:
        """The reply's samples at `rate` from conversation time `start_s` (zeros where none)."""
        far = np.zeros(frames, np.float32)
        end_s = start_s + frames / rate
        with self._lock:
            self._segments = [
                (b, blk)
                for b, blk in self._segments
                if b + blk.duration_s > start_s - MAX_DELAY_S - PROBE_S - 1.0
            ]
            segments = list(self._segments)
        for begin, blk in segments:
            if begin >= end_s or begin + blk.duration_s <= start_s:
                continue
            samples = self._converted.get(id(blk))
            if samples is None:
                import soxr

                samples = blk.mono()
                if blk.sample_rate != rate:
                    samples = soxr.resample(samples, blk.sample_rate, rate).astype(np.float32)
                self._converted[id(blk)] = samples
            first = int(round((begin - start_s) * rate))
            lo, hi = max(first, 0), min(first + samples.size, frames)
            if lo < hi:
                far[lo:hi] = samples[lo - first : hi - first]
        live = {id(blk) for _, blk in segments}
        for key in [k for k in self._converted if k not in live]:
            del self._converted[key]
        return far

    def apply(self, block: AudioBlock) -> AudioBlock:
        """The block (mono) with the reply's echo removed, same start time; at the block's rate
        where AEC3 works at it (AEC3_RATES), else resampled to AEC3_RATES[0] (the captioner's)."""
        if self._aec is None:
            self._rate = block.sample_rate if block.sample_rate in AEC3_RATES else AEC3_RATES[0]
            if self._rate != block.sample_rate:
                self._resampler = StreamResampler(
                    block.sample_rate, self._rate, block.channels, to_mono=True
                )
            self._aec = self._aec3(
                sample_rate=self._rate, num_channels=1, stream_delay_ms=self.delay_hint_ms
            )
            self._out = np.zeros(self._frame, np.float32)  # the constant delay of one frame
        elif block.sample_rate != self._in_rate:
            raise ValueError(f"echo canceller expects {self._in_rate} Hz, got {block.sample_rate}")
        self._in_rate = block.sample_rate
        near = block.mono() if self._resampler is None else self._resampler.process(block).mono()
        self._probe(near, block.start_s)
        far = self._reference(block.start_s - self.shift_s, near.size, self._rate)
        self._near = np.concatenate([self._near, near])
        self._far = np.concatenate([self._far, far])
        whole = self._near.size // self._frame * self._frame
        if whole:
            cleaned = np.asarray(
                self._aec.process(self._near[:whole], self._far[:whole]), np.float32
            )
            cleaned = self._choose(self._near[:whole], cleaned)
            self._near, self._far = self._near[whole:], self._far[whole:]
            self._out = np.concatenate([self._out, cleaned])
        out, self._out = self._out[: near.size], self._out[near.size :]
        return AudioBlock.from_mono(out, self._rate, block.start_s)

    def _choose(self, near: np.ndarray, cleaned: np.ndarray) -> np.ndarray:
        """AEC3's output, or the input unchanged where no echo is heard (echo_heard False); a
        change between the two fades over one frame."""
        passing = self.echo_heard is False
        out = near.copy() if passing else cleaned
        if passing != self._passing:
            fade = np.linspace(0.0, 1.0, self._frame, endpoint=False, dtype=np.float32)
            if not passing:
                fade = 1.0 - fade
            head = slice(0, self._frame)
            out[head] = fade * near[head] + (1.0 - fade) * cleaned[head]
            self._passing = passing
        return out

    def _probe(self, near: np.ndarray, start_s: float) -> None:
        """Keep the last MAX_DELAY_S + PROBE_S (and a little more) of the microphone's sound; once
        a reply's start has been heard that long, find the delay of its echo and whether it is
        heard back."""
        keep = int((MAX_DELAY_S + PROBE_S + 0.5) * self._rate)  # a block's lateness to spare
        self._heard.append(near)
        self._heard_until_s = start_s + near.size / self._rate
        while sum(a.size for a in self._heard) - self._heard[0].size >= keep:
            self._heard.pop(0)
        with self._lock:
            starts = [b for b, _ in self._segments]
            ends = [b + blk.duration_s for b, blk in self._segments]
        # a reply starts where a segment begins with nothing playing just before it
        for begin in starts:
            if any(e < begin + 1e-6 and e > begin - 0.2 for e in ends):
                continue
            if begin in self._probed or self._heard_until_s < begin + MAX_DELAY_S + PROBE_S:
                continue
            self._probed.add(begin)
            lag_s, coherence = self._lag(begin)
            if coherence >= HEARD_COHERENCE:
                self.echo_heard = True
            elif self.echo_heard is None and 0.0 <= coherence < UNHEARD_COHERENCE:
                self.echo_heard = False
            if lag_s is not None and abs(lag_s - self.shift_s) > AEC3_DELAY_S + 0.05:
                # beyond what AEC3 follows by itself: move the reference (it then re-adapts)
                self.shift_s = max(0.0, lag_s - AEC3_DELAY_S / 3)  # AEC3 takes up the rest

    def _lag(self, begin: float) -> tuple[float | None, float]:
        """How late the first PROBE_S of the reply starting at `begin` comes in the microphone's
        sound (None: not found, or not coherent there), and the coherence of the two at the best
        of the likeliest delays (-1: the reply's start is silent, or not all heard)."""
        heard = np.concatenate(self._heard)
        heard_start_s = self._heard_until_s - heard.size / self._rate
        first = int(round((begin - heard_start_s) * self._rate))
        ref = self._reference(begin, int(PROBE_S * self._rate), self._rate)
        if first < 0 or float(np.mean(ref**2)) < PROBE_LEVEL:
            return None, -1.0
        mic = heard[first : first + int((MAX_DELAY_S + PROBE_S) * self._rate)]
        corr = _phat(ref, mic)
        if corr is None:
            return None, 0.0
        # the coherence at the strongest few peaks (the first is the highest): where none stands
        # out clearly the echo may still be there, weak
        coherence = [
            _coherence(ref, mic[at : at + ref.size], self._rate) for at in _candidates(corr)
        ]
        lag_s = _delay_s(corr, self._rate)
        if coherence[0] < UNHEARD_COHERENCE:
            lag_s = None  # a peak, but a chance alignment of speech: not the echo
        return lag_s, max(coherence)


def _phat(ref: np.ndarray, mic: np.ndarray) -> np.ndarray | None:
    """The phase-transform cross-correlation (GCC-PHAT) of `mic` with `ref`, magnitude, at each
    lag from 0 to their difference in length; None where either is silent."""
    if not np.any(ref) or not np.any(mic):
        return None
    n = 1 << int(np.ceil(np.log2(ref.size + mic.size)))
    cross = np.fft.rfft(mic, n) * np.conj(np.fft.rfft(ref, n))
    cross /= np.maximum(np.abs(cross), 1e-12)
    return np.abs(np.fft.irfft(cross, n)[: max(1, mic.size - ref.size + 1)])


def _delay_s(corr: np.ndarray, rate: int) -> float | None:
    """How late the reference comes in the microphone's sound, seconds, from their GCC-PHAT;
    None when no clear peak (the echo too weak to matter, or none)."""
    peak = int(np.argmax(corr))
    if corr[peak] < PROBE_PEAK * float(np.mean(corr)):
        return None
    return peak / rate


def _candidates(corr: np.ndarray, count: int = CANDIDATES, apart: int = 80) -> list[int]:
    """The lags (samples) of the `count` highest peaks of `corr`, at least `apart` samples apart."""
    corr = corr.copy()
    found = []
    for _ in range(count):
        at = int(np.argmax(corr))
        found.append(at)
        corr[max(0, at - apart) : at + apart] = -1.0
    return found


def _coherence(ref: np.ndarray, mic: np.ndarray, rate: int) -> float:
    """Mean magnitude-squared coherence of `ref` and `mic` over the speech band (COHERENCE_BAND):
    about 0.02 for unrelated sounds of 1.5 s, 0.1 to 0.3 where `mic` carries the echo of `ref`."""
    from scipy.signal import coherence

    n = min(ref.size, mic.size)
    freqs, coh = coherence(ref[:n], mic[:n], fs=rate, nperseg=512)
    band = (freqs >= COHERENCE_BAND[0]) & (freqs <= COHERENCE_BAND[1])
    return float(np.nan_to_num(coh[band]).mean())
