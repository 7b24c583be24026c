"""Where audio enters: samples that are not a number, infinite or absurdly large become silence.

One bad sample must never reach the ear, nor silence the captions: a NaN that reaches the amplifier
poisons its filter and compressor state and the limiter's test (`|x| <= ceiling` is false for NaN),
and one that reaches the captioner empties the transcript around it. So every source hands over its
blocks through here, once, for every consumer (files and uploads in `audio.files`, stdin, the
microphone, the browser's socket, the live duplex callback): each bad sample is replaced by 0, the
stream counts them, and when it ends one warning names how many and where the first was.

What counts as bad is `zero_bad_samples`'s test alone: not finite, or beyond `MAX_SAMPLE_DBFS`.
Float files may legitimately exceed full scale (1.0) a little; they are not touched. Integer PCM
cannot be bad; it passes the same test anyway (one comparison per block) so that every source has
one path.

The DSP chain and its limiter apply the same test again (`BlockGuard`, defence in depth), on the
audio thread, with buffers made in `prepare`.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator

import numpy as np

from openhear.audio.block import AudioBlock
from openhear.units import db_to_gain

MAX_SAMPLE_DBFS = 40.0
"""Samples louder than this (100 times full scale) are damage, not sound, and are replaced by
silence. No source openhear reads makes them: microphones and integer PCM stop at full scale, and
the overs of float mixes are a few dB. Damage just inside the
range still costs the listener: one sample at +40 dBFS in 65 dB SPL speech holds the compressor's
gain down by up to 6 dB (N3) or 11 dB (S3) for 2 to 3 s (its 200 ms release falls 22 dB/s), and
one at +120 dBFS by 20 to 30 dB for more than 4 s. Float files written in 16-bit units (up to
32768) are malformed by this rule: their loud parts become silence, and the warning's count says
so."""
MAX_SAMPLE = db_to_gain(MAX_SAMPLE_DBFS)
"""`MAX_SAMPLE_DBFS` as a linear magnitude (full scale 1.0)."""

log = logging.getLogger("openhear.audio")


def zero_bad_samples(
    samples: np.ndarray, scratch: np.ndarray | None = None, mask: np.ndarray | None = None
) -> int:
    """Set every sample that is NaN, infinite or beyond `MAX_SAMPLE` to 0, in place; how many were.

    `samples` must be writable float. With `scratch` (float32) and `mask` (bool) buffers of the
    samples' shape nothing is allocated, whatever the block holds (the audio thread's way). A clean
    block costs one `abs` and one `max`."""
    magnitude = np.abs(samples, out=scratch)
    if not magnitude.size or magnitude.max() <= MAX_SAMPLE:  # NaN fails the comparison
        return 0
    bad = np.less_equal(magnitude, MAX_SAMPLE, out=mask)
    np.logical_not(bad, out=bad)
    np.copyto(samples, 0.0, where=bad)
    return int(np.count_nonzero(bad))


class BlockGuard:
    """`zero_bad_samples` as a Processor for the audio thread: a mono block in, a cleaned float32
    copy out, in a buffer of the guard (valid until the next call). Nothing is allocated for blocks
    up to the prepared size."""

    latency_frames = 0

    def __init__(self) -> None:
        self.prepare(0, 0)

    def prepare(self, sample_rate: int, max_block_frames: int) -> None:
        """Buffers for blocks of up to `max_block_frames` (the rate does not matter)."""
        self._clean = np.zeros(max_block_frames, np.float32)
        self._scratch = np.zeros(max_block_frames, np.float32)
        self._mask = np.zeros(max_block_frames, bool)

    def reset(self) -> None:
        """Nothing is held from block to block."""

    def process(self, block: np.ndarray) -> np.ndarray:
        n = len(block)
        if n > len(self._clean):  # larger than prepared: allocates once (not for the audio thread)
            self.prepare(0, n)
        clean = self._clean[:n]
        clean[:] = block
        zero_bad_samples(clean, self._scratch[:n], self._mask[:n])
        return clean


class StreamGuard:
    """The boundary of one stream of AudioBlocks: `clean` zeroes the bad samples of each block in
    place and counts them; `report` logs one warning for the whole stream (if any were bad)."""

    def __init__(self, name: str):
        self.name = name
        """What the warning calls the stream (a file name, "stdin", "the microphone ...")."""
        self.replaced = 0
        """Samples replaced by silence so far."""
        self.first_bad_s: float | None = None
        """Stream time of the first bad sample, seconds."""

    def clean(self, block: AudioBlock) -> AudioBlock:
        """The block with its bad samples zeroed (in place: its samples must be writable)."""
        mask = np.empty(block.samples.shape, bool)
        count = zero_bad_samples(block.samples, mask=mask)
        if count:
            if self.first_bad_s is None:
                frame = int(np.argmax(mask.any(axis=1)))
                self.first_bad_s = block.start_s + frame / block.sample_rate
            self.replaced += count
        return block

    def report(self) -> None:
        """One warning naming how many samples were replaced and where the first was (if any)."""
        if self.replaced:
            samples = "sample" if self.replaced == 1 else "samples"
            log.warning(
                f"warning: {self.name}: {self.replaced} bad {samples} (not a number, or beyond "
                f"+{MAX_SAMPLE_DBFS:g} dBFS) replaced by silence, the first at "
                f"{self.first_bad_s:.2f} s"
            )

    def blocks(self, blocks: Iterator[AudioBlock]) -> Generator[AudioBlock, None, None]:
        """`blocks` cleaned one by one; when they end, or the consumer stops (which closes `blocks`
        too, as `yield from` would), the warning."""
        try:
            for block in blocks:
                yield self.clean(block)
        finally:
            close = getattr(blocks, "close", None)
            if close is not None:
                close()
            self.report()


def guarded(blocks: Iterator[AudioBlock], name: str) -> Generator[AudioBlock, None, None]:
    """A source's blocks through a fresh `StreamGuard` called `name`."""
    return StreamGuard(name).blocks(blocks)
