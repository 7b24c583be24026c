"""Sentences from fragments: a full stop the next fragment shows to be invented goes, Whisper's
own sentence ends stay."""

from __future__ import annotations

import pytest

from openhear.asr.events import Word, ends_sentence
from openhear.asr.sentences import (
    continues_sentence,
    drop_invented_stop,
    join_fragments,
    sentence_words,
)


def test_a_pause_inside_a_sentence_loses_its_invented_full_stop():
    assert (
        join_fragments(["Ask not what your country.", "can do for you."])
        == "Ask not what your country can do for you."
    )
    assert join_fragments(["If the reader will excuse me...", "nor of the rest."]) == (
        "If the reader will excuse me nor of the rest."
    )


def test_whispers_real_sentence_ends_stay():
    assert join_fragments(["In short.", "The narrative ends."]) == "In short. The narrative ends."
    assert join_fragments(["Is it you?", "yes it is."]) == "Is it you? yes it is."
    assert join_fragments(["It is 5.", "and more"]) == "It is 5. and more"  # a digit: no stop after
    assert join_fragments(["Ask e.g.", "this"]) == "Ask e.g. this"
    assert join_fragments(["I met Mr.", "smith"]) == "I met Mr. smith"


@pytest.mark.parametrize(
    ("text", "continues"),
    [("can do", True), ('"and so', True), ("The end", False), ("I went", False), ("1813", False)],
)
def test_a_lower_case_start_continues_a_sentence(text, continues):
    assert continues_sentence(text) is continues


def test_sentence_ends_and_stops():
    assert ends_sentence('He said "go."') and ends_sentence("Why?") and not ends_sentence("so,")
    assert drop_invented_stop("country.") == "country"
    assert drop_invented_stop("U.S.") == "U.S."


def test_words_lose_the_invented_stop_and_keep_their_times():
    words = [Word(" Ask.", 0.0, 0.4, 0.9), Word(" not", 1.4, 1.6), Word(" What.", 2.0, 2.2)]
    shaped = sentence_words(words)
    assert [w.text for w in shaped] == [" Ask", " not", " What."]
    assert shaped[0].start_s == 0.0 and shaped[0].probability == 0.9
