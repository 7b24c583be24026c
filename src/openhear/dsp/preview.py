"""Listening to a fitting before saving it: a short recording (an upload, or the bundled speech
sample) as it is, through the fitting, or as the hearing loss would make it sound.

The web page's profile view plays these (`POST /api/fitting/listen`); files of any length go
through `openhear amplify` and `openhear simulate` (`dsp.recordings`) instead.
"""

from __future__ import annotations

import io
from typing import Literal

import numpy as np

from openhear.audio.block import AudioBlock
from openhear.audio.files import iter_sound_file, open_sound_file
from openhear.dsp.chain import amplify_array
from openhear.dsp.levels import scaled_to_level
from openhear.errors import AudioInputError
from openhear.fitting.audiogram import Listener
from openhear.fitting.profile import fit_listener
from openhear.paths import SAMPLE_SPEECH

PreviewMode = Literal["before", "after", "simulate"]
"""As recorded, through the fitting, or through the loss."""
LISTEN_LEVEL_DB_SPL = 65.0
"""Recordings are played at conversational level before and after, so only the fitting differs."""
MAX_LISTEN_S = 30.0
"""Longer recordings are cut to this (the page is for a quick listen,
`openhear amplify` for files)."""
MAX_SIMULATE_S = 8.0
"""The hearing-loss simulation (MSBG) costs about 1 to 3 s per second of audio
here: a short excerpt."""
MIN_RATE_HZ = 8000
"""Recordings sampled slower than this are refused."""


def read_recording(raw: bytes | None, name: str = "the recording") -> AudioBlock:
    """The uploaded recording `name` (or the bundled sample), mono, at most MAX_LISTEN_S long;
    unreadable, truncated or empty audio is a one-line AudioInputError, as for `openhear` files."""
    f = open_sound_file(io.BytesIO(raw) if raw is not None else str(SAMPLE_SPEECH), name)
    rate = f.samplerate
    if rate < MIN_RATE_HZ:
        f.close()
        raise AudioInputError(f"the sample rate of {name} ({rate} Hz) is too low")
    blocks = iter_sound_file(f, name, block_frames=int(MAX_LISTEN_S * rate))
    first = next(blocks)  # the first MAX_LISTEN_S seconds
    blocks.close()
    return AudioBlock.from_mono(first.samples.mean(axis=1), rate)


def listening_preview(
    mode: str, listener: Listener, raw: bytes | None, name: str = "the recording"
) -> AudioBlock:
    """The recording at conversational level: as is (`before`), through the fitting (`after`), or
    through the loss (`simulate`, an excerpt of MAX_SIMULATE_S)."""
    recording = read_recording(raw, name)
    profile = fit_listener(listener)
    samples = scaled_to_level(recording.samples[:, 0], LISTEN_LEVEL_DB_SPL, profile.db_spl_at_0dbfs)
    if mode == "before":
        out = np.repeat(samples.reshape(-1, 1), 2, axis=1)
    elif mode == "after":
        out = amplify_array(samples, recording.sample_rate, profile)
    else:
        from openhear.dsp.hearing_loss import simulate_listener

        excerpt = samples[: int(MAX_SIMULATE_S * recording.sample_rate)]
        out = simulate_listener(excerpt, recording.sample_rate, listener, profile.db_spl_at_0dbfs)
    return AudioBlock(np.asarray(out, np.float32), recording.sample_rate)
