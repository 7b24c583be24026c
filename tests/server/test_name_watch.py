"""The server's name watch on a conversation's events: the other person's provisional caption, the
entry stored for it and its revision are one mention (one `name` alert through the hub); the name
said again later is a new one. (The whole path, real speech to the event stream:
test_name_alert.py.)"""

from __future__ import annotations

from openhear.asr.events import ProvisionalCaption, Word
from openhear.relay.session import RevisedEntry
from openhear.relay.store import Entry
from openhear.server.alerts import AlertHub, NameWatch
from openhear.server.caption_session import spoken_caption


def provisional(text: str, start_s: float) -> ProvisionalCaption:
    """A provisional caption whose words are 0.3 s each from `start_s`."""
    times = [(start_s + 0.3 * i, start_s + 0.3 * (i + 1)) for i in range(len(text.split()))]
    words = tuple(Word(f" {w}", *t) for w, t in zip(text.split(), times, strict=True))
    return ProvisionalCaption(text, start_s, times[-1][1], words)


def test_a_conversation_mention_raises_one_name_alert_and_a_later_one_another():
    hub = AlertHub()
    watch = NameWatch(hub, 7, ["Ada", "mum"])
    first = [
        provisional("Hey Ada", 10.0),
        Entry(1, "them", 10.0, 11.5, "Hey Ada, can you come?"),
        RevisedEntry(Entry(1, "them", 10.0, 11.5, "Hey, Ada, can you come?"), (), 1, "Hey Ada"),
    ]
    watch.check(spoken_caption(e) for e in first)
    (alert,) = hub.recent()
    assert (alert["sound"], alert["priority"], alert["session"], alert["source"]) == (
        "name",
        "urgent",
        7,
        "captions",
    )
    assert alert["start_s"] == 10.3 and alert["detail"] == '"ada" in "Hey Ada"'
    watch.check([spoken_caption(Entry(2, "them", 30.0, 31.0, "Ada? Mum is here."))])
    assert [a["detail"].split('"')[1] for a in hub.recent()] == ["ada", "ada", "mum"]


def test_words_that_say_nothing_watch_for_nothing():
    assert NameWatch(AlertHub(), 1, [" ", "?!"]).spotter.phrases == ()
