"""Saved phrases: add, list, get by name or number, remove, bad names and files."""

from __future__ import annotations

import pytest

from openhear.storage import StorageError
from openhear.tts.phrasebook import Phrasebook, PhraseError
from openhear.tts.text import TextError


@pytest.fixture
def book():
    with Phrasebook() as b:
        yield b


def test_phrases_persist_in_the_data_directory(isolated_data_dir):
    with Phrasebook() as b:
        b.add("deaf", "I am deaf. Please write it down.")
    with Phrasebook() as b:
        assert b.path.parent == isolated_data_dir
        assert [(p.number, p.name, p.text) for p in b.list()] == [
            (1, "deaf", "I am deaf. Please write it down.")
        ]


def test_get_by_name_case_insensitively_or_by_number(book):
    book.add("thanks", "Thank you very much.")
    p = book.add("Coffee", "A coffee with milk, please.")
    assert book.get("coffee") == p
    assert book.get(str(p.number)) == p
    assert book.get(p.number) == p


def test_numbers_are_not_reused_after_removal(book):
    a = book.add("a", "First.")
    book.remove("a")
    b = book.add("b", "Second.")
    assert b.number > a.number


def test_duplicate_name_is_refused(book):
    book.add("hi", "Hello.")
    with pytest.raises(PhraseError, match="already exists"):
        book.add("HI", "Hello again.")


@pytest.mark.parametrize("name", ["", "  ", "42", "\x00"])
def test_bad_names_are_refused(book, name):
    with pytest.raises(PhraseError):
        book.add(name, "Hello.")


def test_empty_text_is_refused(book):
    with pytest.raises(TextError):
        book.add("empty", " \t ")


@pytest.mark.parametrize("key", ["nope", "7", 7])
def test_unknown_phrase_is_a_one_line_error(book, key):
    book.add("hi", "Hello.")
    with pytest.raises(PhraseError, match="no saved phrase"):
        book.get(key)
    with pytest.raises(PhraseError, match="no saved phrase"):
        book.remove(key)
    assert len(book.list()) == 1


def test_corrupt_phrasebook_is_refused_and_kept(isolated_data_dir):
    isolated_data_dir.mkdir()
    path = isolated_data_dir / "phrases.sqlite3"
    path.write_bytes(b"this is not a database\n" * 100)
    with pytest.raises(StorageError, match="left untouched"):
        Phrasebook()
    assert path.read_bytes() == b"this is not a database\n" * 100
