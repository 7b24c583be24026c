"""The revision pass (second pass of live captions) with a scripted transcriber: which audio it
decodes, when, and how its RevisedCaption replaces the fast pass's finals. Real speech drives the
real VAD; only Whisper is scripted. test_streaming_captioner.py has the real-model evidence."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from openhear.asr.events import FinalCaption, RevisedCaption, revised_finals
from openhear.asr.streaming import CaptionOptions, StreamingCaptioner, final_text
from openhear.audio.block import AudioBlock
from openhear.testing import ScriptedTranscriber

from . import scripted
from .conftest import RATE, feed_chunks
from .scripted import scripted_words as _scripted


@pytest.fixture(scope="module")
def pause_for_effect(manifest):
    return scripted.pause_for_effect(manifest)


def _speech(manifest, *gaps_s: float):
    return scripted.speech_with_pauses(manifest, *gaps_s)


def _events_by_feed(captioner, audio: np.ndarray, block: int = 320):
    """Feed 20 ms blocks; every event with the index of the feed call that returned it."""
    out = []
    for k, i in enumerate(range(0, audio.size, block)):
        out += [(k, e) for e in captioner.feed(AudioBlock.from_mono(audio[i : i + block], RATE))]
    return out + [(-1, e) for e in captioner.flush()]


def test_a_word_misheard_after_a_pause_is_revised_with_the_words_before_it(pause_for_effect):
    audio, words, alone, after = pause_for_effect
    fake = ScriptedTranscriber(audio, words, heard_alone=alone)
    events = _events_by_feed(StreamingCaptioner(fake, CaptionOptions()), audio)
    finals = [e for _, e in events if isinstance(e, FinalCaption)]
    assert "knock" in " ".join(f.text for f in finals)  # the fast pass heard it alone
    revisions = [(k, e) for k, e in events if isinstance(e, RevisedCaption)]
    assert revisions
    k, last = revisions[-1]
    assert "knock" not in last.text and words[after].text.strip() in last.text
    # one utterance across the pause: every final carries its number, and the revision names it
    assert {f.utterance for f in finals} == {last.utterance} and last.utterance >= 1
    assert "knock" in last.replaced
    # it decoded from the first word, with beam 5, and came after the fast finals it replaces
    assert last.words[0].text == words[0].text and last.start_s <= words[0].start_s + 1e-6
    knock_final = next(i for i, (_, e) in enumerate(events) if "knock" in e.text)
    assert events.index((k, last)) > knock_final
    assert final_text(e for _, e in events) == "".join(w.text for w in words).strip()
    assert [f.text for f in revised_finals(e for _, e in events)] == [last.text]


def test_the_revision_never_holds_back_the_finals_of_its_endpoint(pause_for_effect):
    audio, words, alone, _ = pause_for_effect
    fake = ScriptedTranscriber(audio, words, heard_alone=alone)
    events = _events_by_feed(StreamingCaptioner(fake, CaptionOptions()), audio)
    for k, e in events:
        if isinstance(e, RevisedCaption) and k >= 0:
            # no final of this utterance in the same feed call: the revision runs a frame later
            assert not [f for j, f in events if j == k and isinstance(f, FinalCaption)]


def test_a_long_pause_starts_a_new_utterance(manifest):
    audio, spans = _speech(manifest, 1.5)
    audio = audio[: round((spans[1][1] + 1.0) * RATE)]
    words = _scripted(audio)
    fake = ScriptedTranscriber(audio, words)
    events = feed_chunks(StreamingCaptioner(fake, CaptionOptions()), audio, [1600])
    numbers = {
        round(f.start_s >= spans[1][0] - 0.5): f.utterance
        for f in events
        if isinstance(f, FinalCaption)
    }
    assert numbers[0] != numbers[1]
    assert not [e for e in events if isinstance(e, RevisedCaption)]  # nothing to change
    assert final_text(events) == "".join(w.text for w in words).strip()


def test_an_utterance_decoded_whole_at_its_endpoint_is_not_decoded_again(manifest):
    audio, spans = _speech(manifest, 1.5)
    audio = audio[: round((spans[1][1] + 1.0) * RATE)]
    fake = ScriptedTranscriber(audio, _scripted(audio))
    few = CaptionOptions(update_interval_s=30.0)  # no interim decodes: endpoints commit all
    captioner = StreamingCaptioner(fake, few)
    feed_chunks(captioner, audio, [1600])
    assert captioner.revisions == 0 and captioner.decodes == 2
    with_interims = StreamingCaptioner(ScriptedTranscriber(audio, _scripted(audio)))
    feed_chunks(with_interims, audio, [1600])
    assert with_interims.revisions == 2  # one per utterance; the text stayed, so no event
    revise_off = StreamingCaptioner(fake, dataclasses.replace(CaptionOptions(), revise=False))
    feed_chunks(revise_off, audio, [1600])
    assert revise_off.revisions == 0


def test_what_follows_is_prompted_with_the_revised_text(manifest):
    audio, spans = _speech(manifest, 0.6, 1.5)
    words = _scripted(audio)
    after = next(i for i, w in enumerate(words) if w.start_s >= spans[1][0] - 0.1)
    fake = ScriptedTranscriber(audio, words, heard_alone={after: " knock"})
    events = feed_chunks(StreamingCaptioner(fake, CaptionOptions()), audio, [1600])
    assert "knock" not in final_text(events)
    third = [c for c in fake.calls if c.start_s >= spans[2][0] - 0.5]
    assert third and all(words[after].text.strip() in (c.prompt or "") for c in third)
    assert all("knock" not in (c.prompt or "") for c in third)
    numbers = [e.utterance for e in events if isinstance(e, FinalCaption)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 2


def test_revisions_do_not_depend_on_how_the_audio_is_cut(pause_for_effect):
    audio, words, alone, _ = pause_for_effect
    runs = [
        feed_chunks(
            StreamingCaptioner(ScriptedTranscriber(audio, words, heard_alone=alone)), audio, sizes
        )
        for sizes in ([320], [1600, 77, 4000])
    ]
    assert runs[0] == runs[1]


def test_revision_options_are_validated():
    with pytest.raises(ValueError):
        CaptionOptions(revision_pause_s=0)
    with pytest.raises(ValueError):
        CaptionOptions(revision_max_s=40)
