"""The transcript store: entries committed as they happen, lookups, deletion, bad ids and files."""

from __future__ import annotations

import sqlite3

import pytest

from openhear.relay.store import TranscriptError, TranscriptStore
from openhear.storage import StorageError


@pytest.fixture
def store():
    with TranscriptStore() as s:
        yield s


def test_store_lives_in_the_data_directory(store, isolated_data_dir):
    assert store.path.parent == isolated_data_dir


def test_entries_are_returned_in_time_order_with_speakers(store):
    c = store.create_conversation("at the bakery")
    store.append(c.id, "me", 3.0, 4.5, "A loaf of bread, please.")
    store.append(c.id, "them", 0.5, 2.0, "Hello, what can I get you?")
    t = store.get(c.id)
    assert [(e.speaker, e.text) for e in t.entries] == [
        ("them", "Hello, what can I get you?"),
        ("me", "A loaf of bread, please."),
    ]
    assert t.conversation.title == "at the bakery"
    assert t.conversation.entries == 2
    assert t.conversation.duration_s == 4.5


def test_every_append_is_visible_to_another_connection_at_once(store):
    c = store.create_conversation()
    store.append(c.id, "them", 0.0, 1.0, "committed")
    other = sqlite3.connect(store.path)
    assert other.execute("SELECT text FROM entries").fetchall() == [("committed",)]
    other.close()


def test_reply_end_time_can_be_set_once_known(store):
    c = store.create_conversation()
    e = store.append(c.id, "me", 2.0, 2.0, "Yes.")
    store.set_end(e.id, 3.25)
    assert store.get(c.id).entries[0].end_s == 3.25


def test_list_and_delete(store):
    a = store.create_conversation("a")
    b = store.create_conversation("b")
    store.append(a.id, "them", 0, 1, "x")
    assert [c.title for c in store.list_conversations()] == ["a", "b"]
    store.delete(a.id)
    assert [c.id for c in store.list_conversations()] == [b.id]
    assert sqlite3.connect(store.path).execute("SELECT COUNT(*) FROM entries").fetchone() == (0,)


@pytest.mark.parametrize("key", ["99", 99, "abc", "-1", "1.5", "١"])
def test_unknown_or_malformed_ids_are_one_line_errors(store, key):
    with pytest.raises(TranscriptError, match="transcript"):
        store.get(key)


def test_bad_speaker_and_times_are_refused(store):
    c = store.create_conversation()
    with pytest.raises(TranscriptError, match="speaker"):
        store.append(c.id, "someone", 0, 1, "x")
    with pytest.raises(TranscriptError, match="times"):
        store.append(c.id, "them", 2, 1, "x")


def test_a_newer_store_is_refused_and_kept(isolated_data_dir):
    with TranscriptStore() as s:
        s.append(s.create_conversation().id, "them", 0, 1, "keep me")
        path = s.path
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version=99")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StorageError, match="newer openhear"):
        TranscriptStore()
    assert path.read_bytes() == before
