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
    10 ms frame; its times are kept."""

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

    @property
    def playing_until_s(self) -> float:
        """Conversation time at which the queued reply audio will have finished playing."""
        return self._playing_until_s

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
            cleaned = self._aec.process(self._near[:whole], self._far[:whole])
            self._near, self._far = self._near[whole:], self._far[whole:]
            self._out = np.concatenate([self._out, np.asarray(cleaned, np.float32)])
        out, self._out = self._out[: near.size], self._out[near.size :]
        return AudioBlock.from_mono(out, self._rate, block.start_s)

    def _probe(self, near: np.ndarray, start_s: float) -> None:
        """Keep the last MAX_DELAY_S + PROBE_S of the microphone's sound; once a reply's start
        has been heard that long, find the delay of its echo."""
        keep = int((MAX_DELAY_S + PROBE_S) * self._rate)
        self._heard.append(near)
        self._heard_until_s = start_s + near.size / self._rate
        while sum(a.size for a in self._heard) - self._heard[0].size >= keep:
            self._heard.pop(0)
        with self._lock:
            starts = [b for b, _ in self._segments]
            ends = [b + blk.duration_s for b, blk in self._segments]
        # a reply starts where a segment begins with nothing playing just before it
        for begin in starts:
            if begin in self._probed or any(e < begin + 1e-6 and e > begin - 0.2 for e in ends):
                continue
            if self._heard_until_s < begin + MAX_DELAY_S + PROBE_S:
                continue
            self._probed.add(begin)
            heard = np.concatenate(self._heard)[-keep:]
            heard_start_s = self._heard_until_s - heard.size / self._rate
            first = int(round((begin - heard_start_s) * self._rate))
            if first < 0:
                continue
            mic = heard[first:]
            ref = self._reference(begin, int(PROBE_S * self._rate), self._rate)
            lag_s = _delay_s(ref, mic, self._rate)
            if lag_s is not None and abs(lag_s - self.shift_s) > AEC3_DELAY_S + 0.05:
                # beyond what AEC3 follows by itself: move the reference (it then re-adapts)
                self.shift_s = max(0.0, lag_s - AEC3_DELAY_S / 3)  # AEC3 takes up the rest


def _delay_s(ref: np.ndarray, mic: np.ndarray, rate: int) -> float | None:
    """How late `ref` comes in `mic` (GCC-PHAT), seconds; None when no clear peak (silence,
    or the echo too weak to matter)."""
    if not np.any(ref) or not np.any(mic):
        return None
    n = 1 << int(np.ceil(np.log2(ref.size + mic.size)))
    cross = np.fft.rfft(mic, n) * np.conj(np.fft.rfft(ref, n))
    cross /= np.maximum(np.abs(cross), 1e-12)
    corr = np.abs(np.fft.irfft(cross, n)[: max(1, mic.size - ref.size + 1)])
    peak = int(np.argmax(corr))
    if corr[peak] < PROBE_PEAK * float(np.mean(corr)):
        return None
    return peak / rate
