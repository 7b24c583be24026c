"""The streaming captioner's policies with a scripted transcriber (openhear.testing): endpointing,
LocalAgreement commits, skipping decodes while lagging, buffer trimming. Real speech drives the
real VAD; only Whisper is scripted, so these run in a fraction of a second. The real-Whisper
tests in test_streaming_captioner.py stay the end-to-end evidence."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from openhear.asr.events import CaptionEvent, ProvisionalCaption, Word
from openhear.asr.streaming import FRAME_S, CaptionOptions, StreamingCaptioner
from openhear.asr.vad import FRAME_SAMPLES, StreamingVad
from openhear.audio.block import AudioBlock
from openhear.testing import ScriptedTranscriber

from .conftest import RATE, feed_chunks, finals, speech_16k

WORD_S = 0.3
"""Each scripted word lasts this long, one after another inside the speech VAD hears."""


def _scripted(audio: np.ndarray, sentence_every: int = 0) -> list[Word]:
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


def _run(
    audio: np.ndarray,
    words: list[Word],
    options: CaptionOptions,
    clock: Callable[[], float] | None = None,
) -> tuple[list[CaptionEvent], ScriptedTranscriber, StreamingCaptioner]:
    fake = ScriptedTranscriber(audio, words)
    captioner = StreamingCaptioner(fake, options, **({"clock": clock} if clock else {}))
    return feed_chunks(captioner, audio, [1600]), fake, captioner


def _final_words(events: list[CaptionEvent]) -> list[str]:
    return [w.text for e in finals(events) for w in e.words]


def test_every_word_is_committed_once_in_order_after_provisional_captions(conversation):
    audio, _ = conversation
    words = _scripted(audio)
    assert len(words) >= 8
    events, fake, _ = _run(audio, words, CaptionOptions())
    assert _final_words(events) == [w.text for w in words]
    provisional = [e for e in events if isinstance(e, ProvisionalCaption) and e.text]
    assert provisional  # words were shown before two decodes agreed on them
    # interim decodes are greedy, the endpoint decodes (which commit everything) use the beam
    beams = [c.beam_size for c in fake.calls]
    assert 1 in beams and 5 in beams
    # the committed text is the prompt of the decodes after it
    assert any(c.prompt and "w0" in c.prompt for c in fake.calls)


def test_an_endpoint_commits_the_utterance_before_the_next_one_starts(conversation):
    audio, spans = conversation
    words = _scripted(audio)
    first = [w for w in words if w.end_s <= spans[0][1]]
    captioner = StreamingCaptioner(ScriptedTranscriber(audio, words), CaptionOptions())
    pause_end = round(spans[1][0] * RATE)
    events = list(captioner.feed(AudioBlock.from_mono(audio[:pause_end], RATE)))
    assert _final_words(events) == [w.text for w in first]
    assert captioner.buffer_s <= CaptionOptions().preroll_s + FRAME_S  # only the pre-roll is kept


def test_silence_after_an_endpoint_is_never_decoded(conversation):
    audio, spans = conversation
    _, fake, _ = _run(audio, _scripted(audio), CaptionOptions())
    pause = (spans[0][1] + 0.8, spans[1][0])  # past the endpoint, before the second utterance
    assert not [c for c in fake.calls if pause[0] <= c.end_s <= pause[1]]


def test_while_lagging_only_endpoints_decode_and_nothing_is_lost(conversation):
    audio, _ = conversation
    words = _scripted(audio)
    ticks = iter(range(10**6))

    def slow_clock() -> float:  # every look at the clock: 10 s later
        return 10.0 * next(ticks)

    events, fake, _ = _run(audio, words, CaptionOptions(max_lag_s=1.0), clock=slow_clock)
    assert {c.beam_size for c in fake.calls} == {5}  # no interim decode
    assert _final_words(events) == [w.text for w in words]
    _, keeping_up, _ = _run(audio, words, CaptionOptions(max_lag_s=1.0), clock=lambda: 0.0)
    assert 1 in {c.beam_size for c in keeping_up.calls}


def test_a_long_utterance_is_trimmed_at_sentence_ends_and_stays_bounded(manifest):
    audio = speech_16k(
        next(u for u in manifest if u.id == "librispeech_dev-clean_2412-153948-0000")
    )
    audio = audio + 1e-4 * np.random.default_rng(2).standard_normal(audio.size).astype(np.float32)
    words = _scripted(audio, sentence_every=4)
    options = CaptionOptions(endpoint_silence_s=3.0, trim_after_s=3.0, max_buffer_s=4.0)
    fake = ScriptedTranscriber(audio, words)
    captioner = StreamingCaptioner(fake, options)
    events, longest = [], 0.0
    for i in range(0, audio.size, 1600):
        events += captioner.feed(AudioBlock.from_mono(audio[i : i + 1600], RATE, i / RATE))
        longest = max(longest, captioner.buffer_s)
    events += captioner.flush()
    assert longest <= options.max_buffer_s + options.update_interval_s + FRAME_S
    starts = [c.start_s for c in fake.calls]
    assert starts == sorted(starts) and starts[-1] >= audio.size / RATE - options.max_buffer_s - 1
    cut_at_sentence_end = {round(w.end_s / FRAME_S) for w in words if w.text.endswith(".")}
    assert any(round(s / FRAME_S) in cut_at_sentence_end for s in starts[1:])
    assert _final_words(events) == [w.text for w in words]
