"""Opening the user's SQLite databases safely: WAL, a schema version, and never a silent wipe.

Shared by the transcript store and the phrasebook. A file that is not a database, or one written
by a newer openhear (PRAGMA user_version above ours), is reported and left byte for byte as it
was: nothing is written to it before those checks pass. A read-only data directory is reported
as such. Every commit is durable (WAL with synchronous=FULL), so a killed process loses nothing
that was already committed.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from openhear.errors import OpenhearError

SQLITE_HEADER = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file."""


class StorageError(OpenhearError):
    """A database that cannot be opened or written: corrupt, from a newer version, or read-only."""


Migration = Callable[[sqlite3.Connection], None]
"""Brings a database from version N-1 to N (the list index + 1) inside one transaction."""


def _readonly_hint(path: Path) -> str:
    return (
        f"cannot write to {path.parent} (read-only?); set OPENHEAR_DATA_DIR to a writable directory"
    )


def _check_file(path: Path, what: str) -> None:
    """Refuse an existing file that is not SQLite before sqlite3 touches it."""
    if path.is_dir():
        raise StorageError(f"{what} {path} is a directory, not a database file")
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        with path.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StorageError(f"cannot read {what} {path} ({exc.strerror})") from None
    if header != SQLITE_HEADER:
        raise StorageError(
            f"{what} {path} is not an SQLite database (corrupt?); it was left untouched: move "
            "it aside to start afresh"
        )


def open_database(path: Path, migrations: list[Migration], what: str) -> sqlite3.Connection:
    """Open (creating if needed) the database at `path` and bring it to version len(migrations).

    Raises StorageError, with a one-line message, for a corrupt file, a newer schema, or a
    location that cannot be written. The connection may be shared between threads by a caller
    that serialises access.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        raise StorageError(_readonly_hint(path)) from None
    _check_file(path, what)
    try:
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    except sqlite3.Error:
        raise StorageError(_readonly_hint(path)) from None
    try:
        _prepare(conn, path, migrations, what)
    except BaseException:
        conn.close()
        raise
    return conn


def _prepare(conn: sqlite3.Connection, path: Path, migrations: list[Migration], what: str) -> None:
    with translate_errors(path, what):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(migrations):
            raise StorageError(
                f"{what} {path} was written by a newer openhear (schema {version}, this one "
                f"knows up to {len(migrations)}); it was left untouched: upgrade openhear to "
                "read it"
            )
        integrity = conn.execute("PRAGMA quick_check").fetchone()[0]
        if integrity != "ok":
            raise StorageError(
                f"{what} {path} is damaged ({integrity}); it was left untouched: move it aside "
                "to start afresh"
            )
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        if conn.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() != "wal":
            raise StorageError(_readonly_hint(path))
        conn.execute("PRAGMA synchronous=FULL")
        for number in range(version + 1, len(migrations) + 1):
            with transaction(conn):
                migrations[number - 1](conn)
                conn.execute(f"PRAGMA user_version={number}")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One explicit transaction: committed on success, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def translate_errors(path: Path, what: str) -> Iterator[None]:
    """Turn sqlite3 errors into one-line StorageErrors that name the file."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "readonly" in text or "unable to open" in text or "read-only" in text:
            raise StorageError(_readonly_hint(path)) from None
        raise StorageError(f"{what} {path}: {text}") from None
    except sqlite3.DatabaseError as exc:
        raise StorageError(
            f"{what} {path} is damaged ({exc}); it was left untouched: move it aside to start "
            "afresh"
        ) from None


class Database:
    """Base of the stores: one connection shared between threads, every access
    serialised and translated."""

    what = "database"
    """How the file is named in error messages."""
    migrations: list[Migration] = []
    """The schema, one step per version."""

    def __init__(self, path: Path):
        self.path = Path(path)
        """The SQLite file."""
        self._conn = open_database(self.path, self.migrations, self.what)
        self._lock = threading.Lock()

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock, translate_errors(self.path, self.what):
            return self._conn.execute(sql, params).fetchall()

    def _write(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        """Run one statement in its own committed transaction."""
        with self._lock, translate_errors(self.path, self.what), transaction(self._conn):
            return self._conn.execute(sql, params)

    def _insert(self, sql: str, params: tuple = ()) -> int:
        """Run one INSERT in its own committed transaction; the id of the row it added."""
        rowid = self._write(sql, params).lastrowid
        if rowid is None:  # sqlite3 sets it after every INSERT that succeeded
            raise StorageError(f"{self.what} {self.path}: the row was not added")
        return rowid

    def close(self) -> None:
        """Close the database."""
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
