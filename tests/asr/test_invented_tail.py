"""The guard against words Whisper invents at the end of a buffer."""

from openhear.asr.events import Word
from openhear.asr.guards import drop_invented_tail


def test_a_zero_length_low_confidence_tail_is_dropped():
    # as decoded at the end of "Author of the danger trail, Philip Steels, etc." plus silence
    real = [Word(" Steels,", 31.76, 32.3, 0.65), Word(" etc.", 32.6, 32.82, 0.64)]
    invented = [Word(" Alright,", 32.82, 33.28, 0.02)] + [
        Word(t, 33.28, 33.28, p)
        for t, p in [(" we'll", 0.14), (" see", 0.51), (" you", 0.81), (" next", 0.32)]
    ]
    assert drop_invented_tail(real + invented) == real


def test_thank_you_after_the_last_word_is_dropped():
    # the tail Whisper added at a pause after "... seeing them forever."
    real = [Word(" them", 52.81, 53.07, 0.96), Word(" forever.", 53.07, 53.45, 0.99)]
    assert (
        drop_invented_tail(
            real + [Word(" Thank", 53.45, 53.79, 0.0), Word(" you.", 53.79, 53.79, 0.98)]
        )
        == real
    )


def test_an_unaligned_burst_and_all_after_it_is_dropped():
    # "... etc. Alright, we'll see you in the next video. Thanks for watching." (endpoint decode)
    real = [Word(" Steels,", 31.76, 32.32, 0.61), Word(" etc.", 32.48, 32.76, 0.98)]
    burst = [
        Word(t, 32.84, 32.84, p)
        for t, p in [(" in", 0.11), (" the", 0.37), (" next", 0.84), (" video.", 0.22)]
    ]
    tail = [Word(" for", 32.84, 32.9, 0.54), Word(" watching.", 32.9, 33.28, 0.72)]
    assert drop_invented_tail(real + burst + tail) == real


def test_real_words_are_kept_even_if_one_is_short_or_unsure():
    words = [
        Word(" Philip", 31.76, 31.76, 0.37),
        Word(" Steels,", 31.76, 32.3, 0.65),
        Word(" etc.", 32.6, 32.7, 0.1),
    ]
    assert drop_invented_tail(words) == words
