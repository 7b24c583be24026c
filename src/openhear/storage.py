"""Storage: opening the user's SQLite databases safely: WAL, a schema version, and never a silent
wipe.

Shared by the transcript store and the phrasebook. A file that is not a database, or one written
by a newer openhear (PRAGMA user_version above ours), is reported and left byte for byte as it
was: nothing is written to it before those checks pass. A read-only data directory is reported
as such. Every commit is durable (WAL with synchronous=FULL), so a killed process loses nothing
that was already committed.

Several processes may open the same file at once, even a file that does not exist yet (two
`openhear phrases add` started together): the schema is created or migrated in one write
transaction whose first step reads the version again, so exactly one process builds it and the
others wait for it (up to BUSY_TIMEOUT_S) and then find it built. The file and its -wal and -shm
companions are private to their owner (0600).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from openhear.errors import OpenhearError
from openhear.paths import create_private_file, make_private, private_dir

SQLITE_HEADER = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file."""
BUSY_TIMEOUT_S = 10.0
"""How long a statement waits for another connection's write (or schema set-up) to finish before
the database is reported busy."""
WAL_RETRY_S = 0.005
"""Pause between attempts to switch a new file to WAL while another connection is switching it."""
COMPANION_SUFFIXES = ("-wal", "-shm")
"""Files SQLite keeps beside a database in WAL mode (it gives them the database file's mode)."""
_READ_ONLY_CODES = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM}
_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_DAMAGED_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
"""Primary SQLite result codes (an extended code's low byte) by what they mean to the user."""

SQLITE_INTEGER_BITS = 64
"""SQLite stores integers (and row ids) as signed 64-bit numbers."""


def fits_sqlite_integer(value: int) -> bool:
    """Whether SQLite can hold `value`; a row id beyond it names no row (no lookup needed)."""
    return -(2 ** (SQLITE_INTEGER_BITS - 1)) <= value < 2 ** (SQLITE_INTEGER_BITS - 1)


class StorageError(OpenhearError):
    """A database that cannot be opened or written: corrupt, from a newer version, or read-only."""

    def __init__(self, message: str, public: str):
        super().__init__(message)
        self.public = public
        """The same problem worded without file paths, for answers that leave the machine (HTTP)."""


class ConstraintError(StorageError):
    """A write the schema refuses (a name that must be unique, a row that no longer exists): the
    store that made it turns this into an error about the user's input."""


Migration = Callable[[sqlite3.Connection], None]
"""Brings a database from version N-1 to N (the list index + 1) inside one transaction."""


def _code(exc: sqlite3.Error) -> int:
    """The primary SQLite result code of an error (0 if sqlite3 gave none)."""
    return (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF


def _problem(what: str, path: Path, problem: str, advice: str = "") -> StorageError:
    """`what path problem; advice`, and the same without the path for `public`."""
    tail = f"; {advice}" if advice else ""
    return StorageError(f"{what} {path} {problem}{tail}", f"the {what} {problem}{tail}")


def _read_only(path: Path) -> StorageError:
    return StorageError(
        f"cannot write to {path.parent} (read-only?); "
        "set OPENHEAR_DATA_DIR to a writable directory",
        "cannot write to the data directory (read-only?)",
    )


def _damaged(what: str, path: Path, detail: object) -> StorageError:
    return _problem(
        what, path, f"is damaged ({detail})", "it was left untouched: move it aside to start afresh"
    )


def _check_file(path: Path, what: str) -> None:
    """Refuse an existing file that is not SQLite before sqlite3 touches it."""
    if path.is_dir():
        raise _problem(what, path, "is a directory, not a database file")
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        with path.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StorageError(
            f"cannot read {what} {path} ({exc.strerror})", f"cannot read the {what}"
        ) from None
    if header != SQLITE_HEADER:
        raise _problem(
            what,
            path,
            "is not an SQLite database (corrupt?)",
            "it was left untouched: move it aside to start afresh",
        )


def open_database(path: Path, migrations: list[Migration], what: str) -> sqlite3.Connection:
    """Open (creating if needed) the database at `path` and bring it to version len(migrations).

    Raises StorageError, with a one-line message, for a corrupt file, a newer schema, or a
    location that cannot be written. The connection may be shared between threads by a caller
    that serialises access.
    """
    path = Path(path)
    try:
        private_dir(path.parent)
    except OSError:
        raise _read_only(path) from None
    _check_file(path, what)
    try:
        create_private_file(path)
    except OSError:
        raise _read_only(path) from None
    for suffix in COMPANION_SUFFIXES:
        make_private(path.with_name(path.name + suffix))
    try:
        conn = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None
        )
    except sqlite3.Error:
        raise _read_only(path) from None
    try:
        _prepare(conn, path, migrations, what)
    except BaseException:
        conn.close()
        raise
    return conn


def _schema_version(
    conn: sqlite3.Connection, path: Path, migrations: list[Migration], what: str
) -> int:
    """The file's schema version; StorageError if a newer openhear wrote it."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(migrations):
        raise _problem(
            what,
            path,
            f"was written by a newer openhear (schema {version}, this one knows up to "
            f"{len(migrations)}); it was left untouched",
            "upgrade openhear to read it",
        )
    return version


def _prepare(conn: sqlite3.Connection, path: Path, migrations: list[Migration], what: str) -> None:
    with translate_errors(path, what):
        version = _schema_version(conn, path, migrations, what)
        integrity = conn.execute("PRAGMA quick_check").fetchone()[0]
        if integrity != "ok":
            raise _damaged(what, path, integrity)
        conn.execute("PRAGMA foreign_keys=ON")
        _use_wal(conn, path)
        conn.execute("PRAGMA synchronous=FULL")
        if version == len(migrations):
            return
        with transaction(conn):
            # Another process may have built the schema since the version was read: read it again
            # now that this connection holds the write lock, and run only what is still missing.
            version = _schema_version(conn, path, migrations, what)
            for number in range(version + 1, len(migrations) + 1):
                migrations[number - 1](conn)
            conn.execute(f"PRAGMA user_version={len(migrations)}")


def _use_wal(conn: sqlite3.Connection, path: Path) -> None:
    """Switch the file to WAL. Of several connections opening a new file together, the ones that
    lose the race to switch it are answered SQLITE_BUSY at once, without the busy timeout: they
    try again until the winner is done (the file is then in WAL already) or BUSY_TIMEOUT_S pass."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            break
        except sqlite3.OperationalError as exc:
            if _code(exc) not in _BUSY_CODES or time.monotonic() > deadline:
                raise
            time.sleep(WAL_RETRY_S)
    if mode.lower() != "wal":
        raise _read_only(path)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One explicit transaction holding the write lock from its start: committed on success,
    rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:  # SQLite itself rolls back after some errors (a full disk)
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def translate_errors(path: Path, what: str) -> Iterator[None]:
    """Turn sqlite3 errors into one-line StorageErrors that name the file. Only a file SQLite
    finds corrupt is called damaged; a refused write is a ConstraintError; a lock held past
    BUSY_TIMEOUT_S is reported as such."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        raise ConstraintError(
            f"{what} {path} refused the change ({exc})", f"the {what} refused the change ({exc})"
        ) from None
    except sqlite3.Error as exc:
        code = _code(exc)
        text = str(exc)
        if code in _READ_ONLY_CODES or "readonly" in text or "unable to open" in text:
            raise _read_only(path) from None
        if code in _BUSY_CODES:
            raise _problem(
                what,
                path,
                f"stayed locked by another process for over {BUSY_TIMEOUT_S:g} s",
                "try again",
            ) from None
        if code in _DAMAGED_CODES:
            raise _damaged(what, path, exc) from None
        if code == sqlite3.SQLITE_FULL:
            raise _problem(what, path, "cannot grow: the disk is full") from None
        raise _problem(what, path, f"failed: {text}") from None


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
            raise _problem(self.what, self.path, "failed: the row was not added")
        return rowid

    def close(self) -> None:
        """Close the database."""
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
