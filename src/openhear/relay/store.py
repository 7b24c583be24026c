"""Conversation transcripts in SQLite: every final caption and reply is committed as it happens.

One database file in the data directory holds every conversation. Entries are appended in
their own committed transaction, so a crash or `kill -9` loses nothing already stored.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from openhear.errors import OpenhearError
from openhear.paths import data_dir
from openhear.storage import ConstraintError, Database, fits_sqlite_integer

TRANSCRIPTS_FILE = "transcripts.sqlite3"
"""File name of the transcript store inside the data directory."""

SPEAKERS = ("them", "me")
"""'them': the other person (captioned); 'me': the user's typed replies (spoken)."""


class TranscriptError(OpenhearError):
    """An unknown conversation id or an entry that cannot be stored."""


@dataclass(frozen=True)
class Entry:
    """One line of a conversation."""

    id: int
    """Row id, increasing in the order entries were stored."""
    speaker: str
    """'them' or 'me'."""
    start_s: float
    """Start, seconds from the start of the conversation."""
    end_s: float
    """End, seconds from the start of the conversation."""
    text: str
    """What was said."""


@dataclass(frozen=True)
class Conversation:
    """A conversation's summary."""

    id: int
    """Number used by `openhear transcripts show ID`."""
    started_at: str
    """UTC start time, ISO 8601."""
    title: str
    """Free text label ('' if none)."""
    entries: int
    """Number of stored entries."""
    duration_s: float
    """End time of the last entry, seconds."""


@dataclass(frozen=True)
class Transcript:
    """A conversation with all its entries, in time order."""

    conversation: Conversation
    entries: tuple[Entry, ...]


def _create_v1(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE conversations (id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " title TEXT NOT NULL DEFAULT '',"
        " started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')))"
    )
    conn.execute(
        "CREATE TABLE entries (id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
        " speaker TEXT NOT NULL CHECK (speaker IN ('them', 'me')),"
        " start_s REAL NOT NULL, end_s REAL NOT NULL,"
        " text TEXT NOT NULL)"
    )
    conn.execute("CREATE INDEX entries_by_conversation ON entries (conversation_id, start_s)")


_SUMMARY = (
    "SELECT c.id, c.started_at, c.title, COUNT(e.id), COALESCE(MAX(e.end_s), 0.0)"
    " FROM conversations c LEFT JOIN entries e ON e.conversation_id = c.id"
)


def parse_conversation_id(key: str | int) -> int:
    """A conversation id from user input; TranscriptError if it is not a positive whole number."""
    if isinstance(key, int):
        return key
    text = str(key).strip()
    if not text.isdecimal() or not text.isascii():
        raise TranscriptError(
            f"transcript id must be a number, not {key!r} (see `openhear transcripts list`)"
        )
    return int(text)


class TranscriptStore(Database):
    """The user's stored conversations; one instance may be shared between threads."""

    what = "transcript store"
    migrations = [_create_v1]

    def __init__(self, path: str | Path | None = None):
        super().__init__(Path(path) if path is not None else data_dir() / TRANSCRIPTS_FILE)

    def create_conversation(self, title: str = "") -> Conversation:
        """Start a new, empty conversation (committed at once)."""
        return self.conversation(
            self._insert("INSERT INTO conversations (title) VALUES (?)", (title,))
        )

    def append(
        self, conversation_id: int, speaker: str, start_s: float, end_s: float, text: str
    ) -> Entry:
        """Store one entry and commit it before returning."""
        if speaker not in SPEAKERS:
            raise TranscriptError(f"speaker must be one of {', '.join(SPEAKERS)}, not {speaker!r}")
        if not end_s >= start_s >= 0:
            raise TranscriptError(
                f"entry times must satisfy 0 <= start <= end (got {start_s}, {end_s})"
            )
        try:  # the foreign key decides, so a conversation deleted meanwhile is reported as gone
            entry_id = self._insert(
                "INSERT INTO entries (conversation_id, speaker, start_s, end_s, text)"
                " VALUES (?, ?, ?, ?, ?)",
                (conversation_id, speaker, float(start_s), float(end_s), text),
            )
        except ConstraintError:
            self.conversation(conversation_id)  # raises TranscriptError if it is gone
            raise
        return Entry(entry_id, speaker, float(start_s), float(end_s), text)

    def set_end(self, entry_id: int, end_s: float) -> None:
        """Correct an entry's end time (a spoken reply's length is known only
        once it is synthesized)."""
        self._write(
            "UPDATE entries SET end_s = MAX(start_s, ?) WHERE id = ?", (float(end_s), entry_id)
        )

    def conversation(self, conversation_id: str | int) -> Conversation:
        """The summary of one conversation; TranscriptError if there is none with this id."""
        cid = parse_conversation_id(conversation_id)
        rows = (
            self._query(_SUMMARY + " WHERE c.id = ? GROUP BY c.id", (cid,))
            if fits_sqlite_integer(cid)
            else []
        )
        if not rows:
            raise TranscriptError(f"no transcript with id {cid} (see `openhear transcripts list`)")
        return Conversation(*rows[0])

    def list_conversations(self) -> list[Conversation]:
        """Every conversation, oldest first."""
        return [
            Conversation(*row) for row in self._query(_SUMMARY + " GROUP BY c.id ORDER BY c.id")
        ]

    def get(self, conversation_id: str | int) -> Transcript:
        """A conversation with its entries in time order."""
        conversation = self.conversation(conversation_id)
        rows = self._query(
            "SELECT id, speaker, start_s, end_s, text FROM entries"
            " WHERE conversation_id = ? ORDER BY start_s, id",
            (conversation.id,),
        )
        return Transcript(conversation, tuple(Entry(*row) for row in rows))

    def delete(self, conversation_id: str | int) -> Conversation:
        """Delete a conversation and its entries; returns what was deleted."""
        conversation = self.conversation(conversation_id)
        self._write("DELETE FROM conversations WHERE id = ?", (conversation.id,))
        return conversation
