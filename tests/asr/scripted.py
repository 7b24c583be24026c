"""Material for tests with the scripted transcriber: real speech (so the real VAD decides) with
scripted words laid over it."""

from __future__ import annotations

import numpy as np

from openhear.asr.events import Word
from openhear.asr.streaming import FRAME_S
from openhear.asr.vad import FRAME_SAMPLES, StreamingVad

from .conftest import RATE, speech_16k

WORD_S = 0.3
"""Each scripted word lasts this long, one after another inside the speech VAD hears."""


def scripted_words(audio: np.ndarray, sentence_every: int = 0) -> list[Word]:
    """Words w0, w1, ... laid over the frames the VAD calls speech (the captioner drops words in
    silence); every `sentence_every`-th word ends a sentence."""
    vad = StreamingVad()
    speech = [
        vad.frame(audio[i : i + FRAME_SAMPLES]) >= 0.5
        for i in range(0, audio.size - FRAME_SAMPLES + 1, FRAME_SAMPLES)
    ]
    words: list[Word] = []
    t = 0.0
    while t + WORD_S < len(speech) * FRAME_S:
        frames = speech[int(t / FRAME_S) : int((t + WORD_S) / FRAME_S) + 1]
        if all(frames):
            n = len(words)
            end = "." if sentence_every and (n + 1) % sentence_every == 0 else ""
            words.append(Word(f" w{n}{end}", t, t + WORD_S - 0.02, 0.9))
            t += WORD_S
        else:
            t += FRAME_S
    return words


def speech_with_pauses(manifest, *gaps_s: float) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Short utterances with the given pauses between them, 1 s after the last (faint noise over
    all, so no stretch repeats); also each utterance's (start, end)."""
    ids = ("cmu_arctic_aew_a0001", "cmu_arctic_axb_a0004", "cmu_arctic_aew_a0002")
    parts, spans, t = [], [], 0.0
    for i, gap_s in zip(ids, (*gaps_s, 1.0), strict=False):
        part = speech_16k(next(u for u in manifest if u.id == i))
        spans.append((t, t + part.size / RATE))
        parts += [part, np.zeros(round(gap_s * RATE), np.float32)]
        t += part.size / RATE + gap_s
    audio = np.concatenate(parts)
    audio = audio + 1e-4 * np.random.default_rng(3).standard_normal(audio.size).astype(np.float32)
    return audio.astype(np.float32), spans


def pause_for_effect(manifest) -> tuple[np.ndarray, list[Word], dict[int, str], int]:
    """Speech, a 0.6 s pause (an endpoint, but shorter than `revision_pause_s`), more speech: the
    audio, its scripted words, and `heard_alone` that mishears the first word after the pause
    as "knock" when it is decoded without the words before it; also that word's index."""
    audio, spans = speech_with_pauses(manifest, 0.6)
    audio = audio[: round((spans[1][1] + 1.0) * RATE)]
    words = scripted_words(audio)
    after = next(i for i, w in enumerate(words) if w.start_s >= spans[1][0] - 0.1)
    return audio, words, {after: " knock"}, after
