"""The shared SQLite opener: WAL, schema versions, and refusing (never wiping) bad files."""

from __future__ import annotations

import os
import sqlite3

import pytest

from openhear.storage import StorageError, open_database


def _v1(conn):
    conn.execute("CREATE TABLE t (x INTEGER)")


def test_new_database_is_created_in_wal_mode_at_our_version(tmp_path):
    conn = open_database(tmp_path / "sub" / "db.sqlite3", [_v1], "test db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()


def test_migrations_run_once_and_in_order(tmp_path):
    path = tmp_path / "db.sqlite3"
    open_database(path, [_v1], "test db").close()
    conn = open_database(
        path, [_v1, lambda c: c.execute("ALTER TABLE t ADD COLUMN y TEXT")], "test db"
    )
    assert [row[1] for row in conn.execute("PRAGMA table_info(t)")] == ["x", "y"]
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2


def test_a_file_that_is_not_sqlite_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "db.sqlite3"
    junk = os.urandom(4096)
    path.write_bytes(junk)
    with pytest.raises(StorageError, match="not an SQLite database.*left untouched"):
        open_database(path, [_v1], "test db")
    assert path.read_bytes() == junk
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db.sqlite3"]


def damaged_database(path):
    """A real SQLite file with pages after the header page scribbled over; returns its bytes."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [(f"row {i}" * 20,) for i in range(500)])
    conn.commit()
    conn.close()
    data = bytearray(path.read_bytes())
    data[4096:12288] = os.urandom(8192)
    path.write_bytes(bytes(data))
    return bytes(data)


def test_a_damaged_sqlite_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "db.sqlite3"
    data = damaged_database(path)
    with pytest.raises(StorageError, match="left untouched"):
        open_database(path, [_v1], "test db")
    assert path.read_bytes() == data


def test_a_database_from_a_newer_version_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "db.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version=7")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StorageError, match="newer openhear.*schema 7"):
        open_database(path, [_v1], "test db")
    assert path.read_bytes() == before


def test_a_read_only_data_directory_is_a_clear_error(tmp_path, make_read_only):
    ro = make_read_only(tmp_path / "ro")
    with pytest.raises(StorageError, match="read-only"):
        open_database(ro / "data" / "db.sqlite3", [_v1], "test db")


def test_an_existing_database_in_a_directory_made_read_only_is_a_clear_error(
    tmp_path, make_read_only
):
    path = tmp_path / "ro" / "db.sqlite3"
    open_database(path, [_v1], "test db").close()
    before = path.read_bytes()
    make_read_only(path.parent)
    with pytest.raises(StorageError, match="read-only"):
        open_database(path, [_v1], "test db")
    assert path.read_bytes() == before


def test_a_refused_write_is_a_constraint_error_not_damage(tmp_path):
    from openhear.storage import ConstraintError, translate_errors

    path = tmp_path / "db.sqlite3"
    conn = open_database(path, [lambda c: c.execute("CREATE TABLE t (x TEXT UNIQUE)")], "test db")
    conn.execute("INSERT INTO t VALUES ('a')")
    with pytest.raises(ConstraintError) as caught, translate_errors(path, "test db"):
        conn.execute("INSERT INTO t VALUES ('a')")
    assert "damaged" not in str(caught.value) and "move it aside" not in str(caught.value)
    assert conn.execute("SELECT x FROM t").fetchall() == [("a",)]


def test_every_storage_error_has_a_public_message_without_the_path(tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"\x00garbage" * 100)
    newer = tmp_path / "newer.sqlite3"
    sqlite3.connect(newer).execute("PRAGMA user_version=9").connection.close()
    damaged = tmp_path / "damaged.sqlite3"
    damaged_database(damaged)
    for path, words in [
        (junk, "is not an SQLite database"),
        (newer, "newer openhear"),
        (damaged, "is damaged"),
        (tmp_path, "is a directory"),
    ]:
        with pytest.raises(StorageError) as caught:
            open_database(path, [_v1], "test db")
        assert str(path) in str(caught.value) and words in str(caught.value)
        assert str(tmp_path) not in caught.value.public and words in caught.value.public
