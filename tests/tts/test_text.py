"""Text preparation: control characters, empty input, lazy bounded sentence splitting."""

from __future__ import annotations

import io

import pytest

from openhear.tts.text import (
    MAX_SENTENCE_CHARS,
    TextError,
    clean_text,
    iter_sentences,
    read_text,
    require_text,
)


def test_control_characters_are_removed_and_line_breaks_become_spaces():
    assert clean_text("a\x00b\x07c\u200bd\ne\tf\rg") == "abcd\ne f g"


def test_emoji_and_non_latin_script_are_kept():
    text = "Привет 你好 مرحبا 😀"
    assert clean_text(text) == text


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "\x00\x01\x1b"])
def test_empty_whitespace_or_control_only_text_is_refused(text):
    with pytest.raises(TextError, match="nothing to say"):
        require_text(text)


def test_sentences_split_at_sentence_ends():
    assert list(iter_sentences("Hello there.  How are you?\nFine! Thanks")) == [
        "Hello there.",
        "How are you?",
        "Fine!",
        "Thanks",
    ]


def test_chunked_input_gives_the_same_sentences_as_whole_text():
    text = "One two three. Four, five; six! " * 40 + "word " * 300 + "End."
    chunks = [text[i : i + 7] for i in range(0, len(text), 7)]
    assert list(iter_sentences(chunks)) == list(iter_sentences(text))


def test_a_long_run_without_punctuation_is_cut_at_spaces_within_the_limit():
    pieces = list(iter_sentences("word " * 1000))
    assert all(len(p) <= MAX_SENTENCE_CHARS for p in pieces)
    assert " ".join(pieces) == ("word " * 1000).strip()


def test_a_long_run_without_spaces_is_cut_hard():
    pieces = list(iter_sentences("x" * 1000))
    assert [len(p) for p in pieces] == [
        MAX_SENTENCE_CHARS,
        MAX_SENTENCE_CHARS,
        1000 - 2 * MAX_SENTENCE_CHARS,
    ]


def test_one_megabyte_is_read_only_as_far_as_the_first_sentence_needs():
    pulled = []

    def megabyte():
        for i in range(256):
            pulled.append(i)
            yield "This is a sentence of ordinary words. " * 108  # ~4 KB per chunk, ~1 MB in all

    first = next(iter_sentences(megabyte()))
    assert first == "This is a sentence of ordinary words."
    assert len(pulled) == 1


def test_each_line_is_its_own_utterance_even_without_punctuation():
    assert list(iter_sentences("yes please\nno thanks\n")) == ["yes please", "no thanks"]


def test_read_text_decodes_utf8_split_across_chunks():
    data = "héllo wörld 😀\n".encode()
    stream = io.BufferedReader(io.BytesIO(data), buffer_size=3)
    assert "".join(read_text(stream, chunk_bytes=3)) == "héllo wörld 😀\n"


def test_read_text_refuses_invalid_utf8_with_its_offset():
    with pytest.raises(TextError, match="not valid UTF-8 .*offset 6"):
        list(read_text(io.BytesIO(b"hello \xff\xfe world")))


def test_read_text_refuses_a_truncated_last_character():
    with pytest.raises(TextError, match="not valid UTF-8"):
        list(read_text(io.BytesIO("café".encode()[:-1])))
