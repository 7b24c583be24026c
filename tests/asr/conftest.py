"""Helpers for the captioner tests: real speech as 16 kHz mono, streams built from it, runs."""

from __future__ import annotations

import numpy as np
import pytest

from openhear.asr.events import CaptionEvent, FinalCaption
from openhear.asr.streaming import StreamingCaptioner
from openhear.audio.block import AudioBlock
from openhear.audio.files import read_audio
from openhear.audio.resample import resample

RATE = 16000


def speech_16k(utterance) -> np.ndarray:
    """A test utterance as 16 kHz mono float32."""
    block = read_audio(utterance.path)
    return resample(block.mono(), block.sample_rate, RATE)


def hum(seconds: float) -> np.ndarray:
    """Mains hum (50 Hz and its third harmonic): loud, steady, and no speech."""
    t = np.arange(round(seconds * RATE)) / RATE
    return (0.3 * np.sin(2 * np.pi * 50 * t) + 0.1 * np.sin(2 * np.pi * 150 * t)).astype(np.float32)


QUIET_KINDS = ("silence", "hum", "kitchen_noise")
"""Audio with no speech in it, by name (see `quiet_audio`)."""


def quiet_audio(kind: str, noise_clip) -> np.ndarray:
    """10 s without speech: digital silence, mains hum, or the kitchen noise clip."""
    if kind == "silence":
        return np.zeros(10 * RATE, np.float32)
    return hum(10.0) if kind == "hum" else speech_16k(noise_clip)


def with_pauses(
    parts: list[np.ndarray], gap_s: float
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """The parts one after another, `gap_s` of digital silence after each; also each
    part's (start, end)."""
    gap = np.zeros(round(gap_s * RATE), np.float32)
    spans, t = [], 0.0
    for p in parts:
        spans.append((t, t + p.size / RATE))
        t += (p.size + gap.size) / RATE
    return np.concatenate([x for p in parts for x in (p, gap)]), spans


def feed_chunks(
    captioner: StreamingCaptioner, audio: np.ndarray, sizes, rate: int = RATE, start_frame: int = 0
) -> list[CaptionEvent]:
    """Feed `audio` (starting `start_frame` into the recording) cut into blocks of the given sizes
    (cycled), then flush; every event."""
    events, i, k = [], 0, 0
    while i < audio.shape[0]:
        n = sizes[k % len(sizes)]
        samples = audio[i : i + n]
        events += captioner.feed(
            AudioBlock(samples.reshape(samples.shape[0], -1), rate, (start_frame + i) / rate)
        )
        i, k = i + n, k + 1
    return events + list(captioner.flush())


def finals(events) -> list[FinalCaption]:
    return [e for e in events if isinstance(e, FinalCaption)]


def words_between(events, start_s: float, end_s: float) -> str:
    """Final text whose words' middles fall in [start_s - 0.5, end_s + 0.5)."""
    return "".join(
        w.text
        for e in finals(events)
        for w in e.words
        if start_s - 0.5 <= (w.start_s + w.end_s) / 2 < end_s + 0.5
    )


@pytest.fixture(scope="session")
def speech_by_id(transcribed):
    return {u.id: speech_16k(u) for u in transcribed}


@pytest.fixture(scope="module")
def conversation(manifest) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Two short utterances, each followed by 1.5 s of faint noise (so no stretch repeats), and
    each utterance's (start, end)."""
    parts = [
        speech_16k(next(u for u in manifest if u.id == i))
        for i in ("cmu_arctic_aew_a0001", "cmu_arctic_axb_a0004")
    ]
    audio, spans = with_pauses(parts, 1.5)
    audio = audio + 1e-4 * np.random.default_rng(1).standard_normal(audio.size).astype(np.float32)
    return audio.astype(np.float32), spans
