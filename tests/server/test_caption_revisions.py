"""Revisions over the caption WebSocket: the message format (docs/CAPTIONS.md), and a real
session whose finals carry utterance numbers that its revisions name."""

from __future__ import annotations

import asyncio

import pytest

from openhear.asr.events import FinalCaption, RevisedCaption, Word
from openhear.asr.wer import wer
from openhear.relay.session import RevisedEntry
from openhear.relay.store import Entry
from openhear.server.caption_session import event_json
from server.live import caption_over_socket, pcm16


def test_finals_carry_their_utterance_and_a_revision_names_it():
    word = Word(" not", 1.2, 1.4)
    assert event_json(FinalCaption("Ask.", 1.0, 1.1, (), 7)) == {
        "type": "final",
        "text": "Ask.",
        "start_s": 1.0,
        "end_s": 1.1,
        "utterance": 7,
    }
    revision = RevisedCaption("Ask not", 1.0, 1.4, (word,), 7, "Ask. Knock.")
    assert event_json(revision) == {
        "type": "revision",
        "utterance": 7,
        "text": "Ask not",
        "start_s": 1.0,
        "end_s": 1.4,
        "replaced": "Ask. Knock.",
    }
    # a conversation's stream: the stored entries, with the captioner's utterance numbers
    entry = Entry(3, "them", 1.0, 1.4, "Ask not")
    assert event_json(entry, 7)["utterance"] == 7
    assert event_json(RevisedEntry(entry, (4,), 7, "Ask. Knock.")) == event_json(revision)


@pytest.mark.slow
def test_a_real_session_numbers_its_finals_and_revises_only_those(live_app, manifest):
    speech = next(u for u in manifest if u.id == "librispeech_dev-clean_2412-153948-0001")
    pcm, rate = pcm16(speech.path)
    got = asyncio.run(caption_over_socket(live_app.ws_url, pcm, rate))
    seen: set[int] = set()
    for event in got["events"]:
        if event["type"] == "final" and event["text"]:
            assert isinstance(event["utterance"], int) and event["utterance"] >= 1
            seen.add(event["utterance"])
        elif event["type"] == "revision":
            assert event["utterance"] in seen and event["text"] and "replaced" in event
    assert seen
    assert wer(speech.text, got["text"]) <= 0.2, got["text"]  # the text with revisions applied
