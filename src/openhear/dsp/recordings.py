"""Recordings processed file to file in bounded memory (`openhear amplify` and `openhear simulate`).

The input is read in blocks (`audio.files.iter_audio_file`), processed by the streaming code the
live amplifier uses (`dsp.chain.amplify_blocks`) or by MSBG segment by segment
(`dsp.hearing_loss.simulate_listener_blocks`), and written block by block
(`audio.outputs.AudioFileWriter`, which replaces OUT only once the file is complete). An input level
(`input_level_db_spl`) needs the recording's RMS first: one more pass reads the file block by block.
Nothing is held whole, so memory does not grow with the recording's length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from openhear.audio.files import audio_info, iter_audio_file
from openhear.audio.outputs import AudioFileWriter
from openhear.dsp.chain import DEFAULT_MAX_BLOCK_FRAMES, amplify_blocks
from openhear.dsp.levels import MeanSquare, gain_to_level, mean_square_db_spl
from openhear.fitting.audiogram import Listener
from openhear.fitting.profile import DEFAULT_DB_SPL_AT_0DBFS, FittingProfile

FILE_BLOCK_FRAMES = 16 * DEFAULT_MAX_BLOCK_FRAMES
"""Frames read at a time: a multiple of the chain's block, so that a file is cut into the same
4096-frame blocks as `amplify_array` cuts an array (same output, to the bit)."""


@dataclass(frozen=True)
class RecordingReport:
    """What was written."""

    path: Path
    """The output file."""
    frames: int
    """Frames written (as many as the input has)."""
    sample_rate: int
    """Sample rate of input and output."""
    output_db_spl: float
    """RMS level of the output (both channels), in dB SPL."""
    input_db_spl: float | None = None
    """RMS level of the input as processed (after scaling to the input level), in dB SPL, where
    measured (`amplify_file`)."""

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate


OpenBlocks = Callable[[], Iterator[np.ndarray]]
"""A function that gives a signal from its start, block by block."""


def _scaled_blocks(
    path: str | Path, level_db_spl: float | None, db_spl_at_0dbfs: float
) -> OpenBlocks:
    """Reads the recording from its start, in blocks, scaled so that its RMS is `level_db_spl` (as
    `levels.scaled_to_level` scales an array); measuring that RMS is a first pass."""
    gain = None
    if level_db_spl is not None:
        whole = MeanSquare()
        for block in iter_audio_file(path, FILE_BLOCK_FRAMES):
            whole.add(block.samples)
        gain = gain_to_level(whole.value, level_db_spl, db_spl_at_0dbfs)

    def blocks() -> Iterator[np.ndarray]:
        for block in iter_audio_file(path, FILE_BLOCK_FRAMES):
            yield block.samples if gain is None else (block.samples * gain).astype(np.float32)

    return blocks


def _process_file(
    input_path: str | Path,
    output_path: str | Path,
    input_level_db_spl: float | None,
    db_spl_at_0dbfs: float,
    tags: Mapping[str, str] | None,
    process: Callable[[OpenBlocks, int], Iterator[np.ndarray]],
) -> RecordingReport:
    """`process(open_blocks, sample_rate)` of the (scaled) recording, written to OUT in stereo as it
    comes. OUT is opened (and so its format checked for this rate) before any pass starts."""
    rate = audio_info(input_path)[0]
    made = MeanSquare()
    with AudioFileWriter(output_path, rate, 2, tags) as out:
        for y in process(_scaled_blocks(input_path, input_level_db_spl, db_spl_at_0dbfs), rate):
            out.write(y)
            made.add(y)
    return RecordingReport(
        out.path, out.frames, rate, mean_square_db_spl(made.value, db_spl_at_0dbfs)
    )


def amplify_file(
    input_path: str | Path,
    output_path: str | Path,
    profile: FittingProfile,
    input_level_db_spl: float | None = None,
    tags: Mapping[str, str] | None = None,
) -> RecordingReport:
    """A recording through the hearing-aid chain of `profile` into a stereo file at its own rate:
    aligned and as long as the input, sample for sample what `amplify_array` gives for the whole
    file."""
    heard = MeanSquare()

    def process(open_blocks: OpenBlocks, rate: int) -> Iterator[np.ndarray]:
        def measured() -> Iterator[np.ndarray]:
            for block in open_blocks():
                heard.add(block)
                yield block

        return amplify_blocks(measured(), rate, profile)

    report = _process_file(
        input_path, output_path, input_level_db_spl, profile.db_spl_at_0dbfs, tags, process
    )
    return replace(report, input_db_spl=mean_square_db_spl(heard.value, profile.db_spl_at_0dbfs))


def simulate_file(
    input_path: str | Path,
    output_path: str | Path,
    listener: Listener,
    db_spl_at_0dbfs: float = DEFAULT_DB_SPL_AT_0DBFS,
    input_level_db_spl: float | None = None,
    tags: Mapping[str, str] | None = None,
) -> RecordingReport:
    """A recording as heard by `listener` (MSBG per ear, `simulate_listener_blocks`) into a stereo
    file at its own rate, as long as the input."""

    from openhear.dsp.hearing_loss import simulate_listener_blocks

    def process(open_blocks: OpenBlocks, rate: int) -> Iterator[np.ndarray]:
        return simulate_listener_blocks(open_blocks, rate, listener, db_spl_at_0dbfs)

    return _process_file(
        input_path, output_path, input_level_db_spl, db_spl_at_0dbfs, tags, process
    )
