"""Transcript export: every format parses with its reference library and
keeps speakers and times."""

from __future__ import annotations

import io
import json

import pytest
import srt
import webvtt

from openhear.errors import UsageError
from openhear.relay.export import export_transcript
from openhear.relay.store import TranscriptStore


@pytest.fixture
def transcript():
    with TranscriptStore() as store:
        c = store.create_conversation("pharmacy")
        store.append(c.id, "them", 0.52, 2.1, "Hello, how can I help you?")
        store.append(c.id, "me", 3.0, 5.25, "I need my prescription <please> & thanks.")
        store.append(c.id, "them", 6.0, 7.5, "Of course.")
        return store.get(c.id)


def test_vtt_has_voice_spans_and_parses_with_webvtt_py(transcript):
    text = export_transcript(transcript, "vtt")
    assert text.startswith("WEBVTT")
    assert "<v Them>Hello, how can I help you?</v>" in text
    assert "<v Me>I need my prescription\n&lt;please&gt; &amp; thanks.</v>" in text  # 2 lines
    captions = webvtt.from_buffer(io.StringIO(text)).captions
    assert [c.voice for c in captions] == ["Them", "Me", "Them"]
    assert [c.start for c in captions] == ["00:00:00.520", "00:00:03.000", "00:00:06.000"]


def test_srt_parses_with_srt_and_labels_speakers(transcript):
    subs = list(srt.parse(export_transcript(transcript, "srt")))
    assert [s.index for s in subs] == [1, 2, 3]
    assert subs[1].content.replace("\n", " ") == (
        "Me: I need my prescription \u2039please\u203a & thanks."  # ‹please›, two lines of 42
    )
    assert subs[1].end.total_seconds() == 5.25


def test_txt_and_json(transcript):
    assert (
        export_transcript(transcript, "txt").splitlines()[0] == "Them: Hello, how can I help you?"
    )
    doc = json.loads(export_transcript(transcript, "json"))
    assert doc["conversation"]["title"] == "pharmacy"
    assert [(s["speaker"], s["start"]) for s in doc["segments"]] == [
        ("Them", 0.52),
        ("Me", 3.0),
        ("Them", 6.0),
    ]


def test_unknown_format_is_a_usage_error(transcript):
    with pytest.raises(UsageError, match="unknown caption format"):
        export_transcript(transcript, "docx")


def test_fragments_of_one_turn_are_joined_into_sentences():
    with TranscriptStore() as store:
        c = store.create_conversation()
        for start, text in [
            (0.2, "If"),
            (0.7, "the reader will"),
            (1.3, "excuse me."),
            (2.3, "I will say"),
        ]:
            store.append(c.id, "them", start, start + 0.5, text)
        store.append(c.id, "me", 3.0, 4.0, "Pardon?")
        store.append(c.id, "them", 4.5, 5.0, "nothing.")
        text = export_transcript(store.get(c.id), "txt")
    assert text.splitlines() == [
        "Them: If the reader will excuse me.",
        "Them: I will say",
        "Me: Pardon?",
        "Them: nothing.",
    ]


def test_replies_never_spoken_get_the_time_they_would_take_to_say_in_turn():
    """`converse --input talk.wav --replies FILE` without --play stores the notice and the replies
    with end = start (no voice timed them): they export as cues players show, one after another."""
    with TranscriptStore() as store:
        c = store.create_conversation()
        store.append(c.id, "them", 0.0, 2.0, "Good morning, what can I get you?")
        for text in ("I'm deaf. A computer voice says what I type.", "A coffee, please."):
            store.append(c.id, "me", 2.0, 2.0, text)
        subs = list(srt.parse(export_transcript(store.get(c.id), "srt")))
    replies = [s for s in subs if s.content.startswith("Me:")]
    assert replies[-1].content == "Me: A coffee, please."
    for sub, after in zip(replies, replies[1:], strict=False):
        assert sub.end > sub.start  # never a zero-length cue
        assert after.start >= sub.end  # said in turn, not all at once
    assert replies[0].start.total_seconds() == 2.0
    assert 0.8 < (replies[-1].end - replies[-1].start).total_seconds() < 2.5  # 17 characters


def test_both_speakers_starting_at_once_overlap_instead_of_a_cue_of_no_time():
    """`converse --input FILE` stores its notice at 0 s, where the recording's first words start."""
    with TranscriptStore() as store:
        c = store.create_conversation()
        store.append(c.id, "me", 0.0, 0.0, "I'm deaf.")
        store.append(c.id, "them", 0.0, 2.6, "Author of the danger trail.")
        subs = list(srt.parse(export_transcript(store.get(c.id), "srt")))
    assert [s.content for s in subs] == ["Me: I'm deaf.", "Them: Author of the danger trail."]
    assert all(s.end > s.start for s in subs)
