"""WordSpotter: the person's name or a listed word in provisional or final captions raises one
`name` alert per mention."""

from __future__ import annotations

from openhear.alerts.words import WordSpotter
from openhear.asr.events import FinalCaption, ProvisionalCaption, Word


def caption(kind, text: str, start_s: float = 10.0, step_s: float = 0.3):
    words = tuple(
        Word(f" {w}", start_s + i * step_s, start_s + (i + 1) * step_s)
        for i, w in enumerate(text.split())
    )
    return kind(text, words[0].start_s, words[-1].end_s, words)


def test_the_name_in_a_final_caption_raises_the_name_alert():
    (alert,) = WordSpotter(["Ada"]).update(caption(FinalCaption, "Ada, dinner is ready."))
    assert (alert.sound, alert.source, alert.start_s, alert.time_s) == (
        "name",
        "captions",
        10.0,
        11.2,
    )
    assert alert.detail == '"ada" in "Ada, dinner is ready."'
    assert alert.label == "Your name or a listed word"


def test_a_provisional_caption_raises_it_first_and_the_final_does_not_repeat_it():
    spotter = WordSpotter(["ada"])
    assert len(spotter.update(caption(ProvisionalCaption, "Hey Ada"))) == 1
    assert spotter.update(caption(ProvisionalCaption, "Hey Ada can you")) == []
    assert spotter.update(caption(FinalCaption, "Hey Ada, can you come?")) == []


def test_whole_words_only_any_case_and_phrases():
    spotter = WordSpotter(["Ada", "fire", "Mr Okafor"])
    alerts = spotter.update(caption(FinalCaption, "Adam lit a bonfire for Mr. Okafor"))
    assert [a.detail.split('"')[1] for a in alerts] == ["mr okafor"]  # not Adam, not bonfire
    assert len(WordSpotter(["Ada"]).update(caption(FinalCaption, "ADA!"))) == 1


def test_each_listed_word_alerts_but_a_word_repeats_only_after_the_gap():
    spotter = WordSpotter(["help", "mum"])
    alerts = spotter.update(caption(FinalCaption, "Mum help", start_s=0.0))
    assert sorted(a.detail.split('"')[1] for a in alerts) == ["help", "mum"]
    assert spotter.update(caption(FinalCaption, "help", start_s=2.0)) == []  # within 5 s
    assert len(spotter.update(caption(FinalCaption, "help", start_s=8.0))) == 1


def test_captions_without_word_times_use_the_caption_time():
    event = FinalCaption("Is Ada there", 4.0, 5.0)
    (alert,) = WordSpotter(["Ada"]).update(event)
    assert alert.start_s == 4.0 and alert.time_s == 5.0


def test_nothing_listed_or_nothing_said():
    assert WordSpotter([" ", ","]).phrases == ()
    assert WordSpotter(["Ada"]).update(ProvisionalCaption("", 1.0, 1.0)) == []
