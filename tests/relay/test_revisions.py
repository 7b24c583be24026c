"""The revision pass reaching the stored transcript: an utterance's stored 'them' entries are
replaced by one entry with the revised text, and exports hold it. Real speech drives the real
VAD; Whisper is scripted (openhear.testing) to mishear a word after a pause for effect."""

from __future__ import annotations

import pytest
from asr.scripted import pause_for_effect

from openhear.asr.events import ProvisionalCaption
from openhear.asr.streaming import StreamingCaptioner
from openhear.asr.whisper import SAMPLE_RATE
from openhear.audio.block import AudioBlock
from openhear.relay.export import export_transcript
from openhear.relay.session import ConversationSession, RelayOptions, RevisedEntry
from openhear.relay.store import Entry, TranscriptError, TranscriptStore
from openhear.testing import ScriptedTranscriber


@pytest.fixture
def store():
    with TranscriptStore() as s:
        yield s


def test_a_revision_rewrites_the_stored_lines_of_its_utterance(store, manifest):
    audio, words, alone, after = pause_for_effect(manifest)
    fake = ScriptedTranscriber(audio, words, heard_alone=alone)
    session = ConversationSession(
        store, StreamingCaptioner(fake), None, RelayOptions(disclosure="", suppress_echo=False)
    )
    events = []
    for i in range(0, audio.size, 1600):
        block = AudioBlock.from_mono(audio[i : i + 1600], SAMPLE_RATE, i / SAMPLE_RATE)
        events += session.hear(block)
    events += session.close()
    stored = [e for e in events if isinstance(e, Entry)]
    assert any("knock" in e.text for e in stored)  # the fast pass stored its mishearing first
    revised = [e for e in events if isinstance(e, RevisedEntry)]
    assert revised and "knock" in revised[-1].replaced
    last = revised[-1].entry
    assert last.id == stored[0].id and words[after].text.strip() in last.text
    transcript = store.get(session.id)
    assert [e.text for e in transcript.entries] == [last.text]  # one line, the revised text
    assert "knock" not in export_transcript(transcript, "srt")
    assert not [e for e in events if not isinstance(e, (Entry, RevisedEntry, ProvisionalCaption))]


def test_revising_entries_is_one_transaction(store):
    conversation = store.create_conversation()
    a = store.append(conversation.id, "them", 1.0, 1.5, "Ask.")
    b = store.append(conversation.id, "them", 2.0, 2.5, "Knock, what your country")
    entry = store.revise([a.id, b.id], 1.0, 2.6, "Ask not what your country")
    assert entry == Entry(a.id, "them", 1.0, 2.6, "Ask not what your country")
    assert store.get(conversation.id).entries == (entry,)
    with pytest.raises(TranscriptError):
        store.revise([b.id], 1.0, 2.0, "gone")
