"""Saved phrases ("I am deaf, please write it down"): named, numbered, kept in SQLite
in the data directory."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from openhear.errors import OpenhearError
from openhear.paths import data_dir
from openhear.storage import ConstraintError, Database, fits_sqlite_integer
from openhear.tts.text import clean_text, require_text

PHRASES_FILE = "phrases.sqlite3"
"""File name of the phrasebook inside the data directory."""

MAX_NAME_CHARS = 64
MAX_PHRASE_CHARS = 10_000


class PhraseError(OpenhearError):
    """An unknown phrase, or a name or text that cannot be saved."""


class PhraseExists(PhraseError):
    """A phrase is already saved under this name (names are compared ignoring case)."""


@dataclass(frozen=True)
class Phrase:
    """One saved phrase."""

    number: int
    """Stable number shown in lists; never reused for another phrase."""
    name: str
    """Short name to speak it by (not all digits, so names and numbers never clash)."""
    text: str
    """The words to speak."""


def _create_v1(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE phrases (number INTEGER PRIMARY KEY AUTOINCREMENT,"
        " name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
        " text TEXT NOT NULL,"
        " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')))"
    )


class Phrasebook(Database):
    """The user's saved phrases; safe to share between threads."""

    what = "phrasebook"
    migrations = [_create_v1]

    def __init__(self, path: str | Path | None = None):
        super().__init__(Path(path) if path is not None else data_dir() / PHRASES_FILE)

    def add(self, name: str, text: str) -> Phrase:
        """Save `text` under `name`; the name must be new."""
        name = _check_name(name)
        text = require_text(text).strip()
        if len(text) > MAX_PHRASE_CHARS:
            raise PhraseError(
                f"a saved phrase is at most {MAX_PHRASE_CHARS} characters (this one has "
                f"{len(text)})"
            )
        try:  # the UNIQUE name decides, so two processes adding one name at once cannot both win
            number = self._insert("INSERT INTO phrases (name, text) VALUES (?, ?)", (name, text))
        except ConstraintError:
            raise PhraseExists(
                f"a phrase named {name!r} already exists (remove it first)"
            ) from None
        return Phrase(number, name, text)

    def list(self) -> list[Phrase]:
        """Every saved phrase, in the order they were added."""
        return [
            Phrase(*row)
            for row in self._query("SELECT number, name, text FROM phrases ORDER BY number")
        ]

    def get(self, key: str | int) -> Phrase:
        """The phrase with this number or (case-insensitive) name; PhraseError if there is none."""
        column, value = _lookup(key)
        rows = (
            self._query(f"SELECT number, name, text FROM phrases WHERE {column} = ?", (value,))
            if isinstance(value, str) or fits_sqlite_integer(value)
            else []
        )
        if not rows:
            raise PhraseError(f"no saved phrase {key!r} (see `openhear phrases list`)")
        return Phrase(*rows[0])

    def remove(self, key: str | int) -> Phrase:
        """Delete the phrase with this number or name and return it."""
        phrase = self.get(key)
        self._write("DELETE FROM phrases WHERE number = ?", (phrase.number,))
        return phrase


def _check_name(name: str) -> str:
    name = clean_text(name).strip()
    if not name:
        raise PhraseError("a phrase needs a name")
    if name.isdigit():
        raise PhraseError(
            f"a phrase name cannot be only digits ({name!r}): numbers are used to pick phrases"
        )
    if len(name) > MAX_NAME_CHARS:
        raise PhraseError(f"a phrase name is at most {MAX_NAME_CHARS} characters")
    return name


def _lookup(key: str | int) -> tuple[str, str | int]:
    if isinstance(key, int):
        return "number", key
    key = clean_text(key).strip()
    if key.isdigit():
        return "number", int(key)
    return "name", key
