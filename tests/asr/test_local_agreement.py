"""LocalAgreement-2 on hand-made hypotheses: what is committed, when, and only once."""

from openhear.asr.agreement import LocalAgreement
from openhear.asr.events import Word


def hyp(*items):
    return [Word(f" {text}", start, start + 0.2) for text, start in items]


def texts(words):
    return [w.text.strip() for w in words]


def test_commits_only_the_prefix_two_hypotheses_agree_on():
    la = LocalAgreement()
    assert la.update(hyp(("if", 0.0), ("the", 0.3), ("red", 0.5))) == []
    committed = la.update(hyp(("If", 0.0), ("the", 0.3), ("reader,", 0.5), ("will", 0.8)))
    assert texts(committed) == ["If", "the"]  # case and punctuation do not block agreement
    assert texts(la.pending) == ["reader,", "will"]
    assert la.committed_end_s == 0.5


def test_committed_words_are_never_committed_again():
    la = LocalAgreement()
    la.update(hyp(("one", 0.0), ("two", 0.4)))
    assert texts(la.update(hyp(("one", 0.0), ("two", 0.4), ("three", 0.8)))) == ["one", "two"]
    # the buffer still holds "one two": they come back in the next hypothesis, shifted a little
    assert texts(la.update(hyp(("one", 0.02), ("two", 0.45), ("three", 0.8), ("four", 1.2)))) == [
        "three"
    ]
    assert texts(
        la.commit_all(hyp(("one", 0.0), ("two", 0.4), ("three", 0.8), ("four", 1.2), ("five", 1.6)))
    ) == ["four", "five"]
    assert la.pending == []


def test_reset_forgets_the_stream():
    la = LocalAgreement()
    la.commit_all(hyp(("hello", 0.0)))
    la.reset()
    assert la.committed_end_s == 0.0
    assert texts(la.commit_all(hyp(("hello", 0.0)))) == ["hello"]
