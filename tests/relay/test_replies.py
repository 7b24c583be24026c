"""Typed replies: line parsing, timed release, invalid UTF-8, and the player's order and overlap."""

from __future__ import annotations

import io
import time

import pytest

from openhear.relay.replies import (
    ReplyPlayer,
    ReplyReader,
    TypedReply,
    parse_reply_line,
    read_replies,
)
from openhear.relay.session import ConversationSession, RelayOptions
from openhear.relay.store import TranscriptStore
from openhear.tts.text import TextError


@pytest.mark.parametrize(
    "line, expected",
    [
        ("Hello there\n", TypedReply("Hello there")),
        ("[12.5] Thank you.", TypedReply("Thank you.", 12.5)),
        ("[ 3 ]  Yes", TypedReply("Yes", 3.0)),
        ("   \n", None),
        ("[4.0]   ", None),
        ("[soon] not a time", TypedReply("[soon] not a time")),
    ],
)
def test_parse_reply_line(line, expected):
    assert parse_reply_line(line) == expected


def test_invalid_utf8_names_the_line():
    with pytest.raises(TextError, match="line 2"):
        list(read_replies(io.BytesIO(b"fine\nbad \xff\n")))


def test_timed_replies_wait_for_their_time_and_untimed_go_at_once():
    reader = ReplyReader(read_replies(io.BytesIO(b"now\n[2.0] later\n[5] last\n")))
    time.sleep(0.2)
    assert [r.text for r in reader.due(0.0)] == ["now"]
    assert [r.text for r in reader.due(1.9)] == []
    assert [r.text for r in reader.due(2.0)] == ["later"]
    assert [r.text for r in reader.due(2.5, wait=True)] == ["last"]


def test_reader_errors_reach_the_main_thread():
    reader = ReplyReader(read_replies(io.BytesIO(b"ok\n\xff\n")))
    with pytest.raises(TextError):
        list(reader.due(0.0, wait=True))


class CountingVoice:
    """The real voice, counting the sentences it has made so far."""

    def __init__(self, voice):
        self._voice = voice
        self.sample_rate = voice.sample_rate
        self.made = 0

    def synthesize(self, text, options):
        for block in self._voice.synthesize(text, options):
            self.made += 1
            yield block


class PlayingSink:
    """A sound card stand-in: each write 'plays' until the synthesizer has made the next sentence
    (or 10 s pass), and notes whether it was made while this one played."""

    def __init__(self, voice: CountingVoice, total: int):
        self.voice, self.total = voice, total
        self.played = []
        self.next_ready_while_playing = []

    def write(self, block):
        self.played.append(block)
        if len(self.played) < self.total:
            deadline = time.monotonic() + 10
            while self.voice.made <= len(self.played) and time.monotonic() < deadline:
                time.sleep(0.005)
            self.next_ready_while_playing.append(self.voice.made > len(self.played))

    def close(self):
        pass


def test_player_speaks_replies_in_order_and_synthesizes_while_playing(voice):
    counting = CountingVoice(voice)
    with TranscriptStore() as store:
        session = ConversationSession(
            store, captioner=None, synthesizer=counting, options=RelayOptions(disclosure="")
        )
        sink = PlayingSink(counting, total=4)
        player = ReplyPlayer(sink)
        first = session.say(
            "Good morning. I would like a cup of tea with milk. And a glass of water, please."
        )
        second = session.say("Thank you.")
        player.speak(first)
        player.speak(second)
        player.close()
        entries = store.get(session.id).entries
    assert len(sink.played) == 4
    assert [b.start_s for b in sink.played[:3]] == sorted(b.start_s for b in sink.played[:3])
    assert entries[0].end_s == pytest.approx(sum(b.duration_s for b in sink.played[:3]), abs=0.01)
    assert all(
        sink.next_ready_while_playing
    )  # no sentence waited for its synthesis after the previous one


class FailingOnceSink:
    """A sound card stand-in whose first write fails (a device glitch); later writes are kept."""

    def __init__(self):
        self.played, self.writes = [], 0

    def write(self, block):
        self.writes += 1
        if self.writes == 1:
            raise OSError("device unavailable")
        self.played.append(block)

    def close(self):
        pass


class TextFailingVoice:
    """The real voice, except that it cannot say one word (as a synthesis error would)."""

    def __init__(self, voice, word):
        self._voice, self._word = voice, word
        self.sample_rate = voice.sample_rate

    def synthesize(self, text, options):
        if self._word in text:
            raise TextError(f"cannot say {self._word!r}")
        yield from self._voice.synthesize(text, options)


def test_a_failed_reply_is_reported_and_the_later_ones_are_still_spoken(voice):
    errors = []
    with TranscriptStore() as store:
        session = ConversationSession(
            store,
            captioner=None,
            synthesizer=TextFailingVoice(voice, "zebra"),
            options=RelayOptions(disclosure=""),
        )
        sink = FailingOnceSink()
        player = ReplyPlayer(sink, on_error=errors.append)
        for text in ("First reply. It has two sentences.", "A zebra.", "Third reply."):
            player.speak(session.say(text))
        player.close()
    assert [type(e) for e in errors] == [OSError, TextError]
    # the sink's failure cut the first reply short; the second could not be made;
    # the third played whole
    assert len(sink.played) == 1 and sink.played[0].duration_s > 0.3


def test_without_a_callback_close_raises_the_first_failure(voice):
    with TranscriptStore() as store:
        session = ConversationSession(
            store, captioner=None, synthesizer=voice, options=RelayOptions(disclosure="")
        )
        player = ReplyPlayer(FailingOnceSink())
        player.speak(session.say("Hello."))
        with pytest.raises(OSError, match="device unavailable"):
            player.close()
