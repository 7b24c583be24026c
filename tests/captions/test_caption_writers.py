"""Caption writers: SRT and WebVTT that real parsers accept, JSON with word times, plain text."""

from __future__ import annotations

import html
import io
import json
import re

import pytest
import srt
import webvtt

from openhear.asr.events import FinalCaption, Word
from openhear.asr.offline import caption_file
from openhear.captions.cues import Cue, cues_from_finals
from openhear.captions.writers import FORMATS, SRT_LOOKALIKES, render, write
from openhear.errors import OpenhearError, UsageError


@pytest.fixture(scope="module")
def real_cues(transcriber, long_speech):
    """Cues from captioning a real recording."""
    return cues_from_finals(
        e for e in caption_file(long_speech.path, transcriber) if isinstance(e, FinalCaption)
    )


def test_srt_parses_and_matches_the_cues(real_cues):
    parsed = list(srt.parse(render(real_cues, "srt")))
    assert [p.index for p in parsed] == list(range(1, len(real_cues) + 1))
    assert [p.content for p in parsed] == ["\n".join(c.lines) for c in real_cues]
    for p, c in zip(parsed, real_cues, strict=False):
        assert (
            abs(p.start.total_seconds() - c.start_s) < 0.001
            and abs(p.end.total_seconds() - c.end_s) < 0.001
        )
    assert "-->" in render(real_cues, "srt") and "," in render(real_cues, "srt").splitlines()[1]


def seconds(timestamp: str) -> float:
    h, m, s = timestamp.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_vtt_parses_and_matches_the_cues(real_cues):
    text = render(real_cues, "vtt")
    assert text.startswith("WEBVTT\n")
    parsed = webvtt.from_buffer(io.StringIO(text))
    assert [c.text for c in parsed] == ["\n".join(c.lines) for c in real_cues]
    for p, c in zip(parsed, real_cues, strict=False):
        assert abs(seconds(p.start) - c.start_s) < 0.001 and abs(seconds(p.end) - c.end_s) < 0.001
    first_timing = next(line for line in text.splitlines() if " --> " in line)
    assert "." in first_timing.split(" --> ")[0]


def test_vtt_voice_spans_and_escaping():
    cues = [Cue(0.0, 1.5, "Fish & <chips>?", speaker="Ann"), Cue(1.6, 2.0, "Yes.", speaker="Bob")]
    text = render(cues, "vtt")
    assert "<v Ann>Fish &amp; &lt;chips&gt;?</v>" in text
    parsed = webvtt.from_buffer(io.StringIO(text))
    assert [c.voice for c in parsed] == ["Ann", "Bob"]
    assert render(cues, "txt") == "Ann: Fish & <chips>?\nBob: Yes.\n"


def test_json_holds_segments_and_words_with_times(real_cues):
    doc = json.loads(render(real_cues, "json"))
    assert doc["text"].startswith("If the reader")
    assert len(doc["segments"]) == len(real_cues)
    words = [w for s in doc["segments"] for w in s["words"]]
    assert len(words) >= 30
    assert all(
        s["start"] <= w["start"] <= w["end"] <= s["end"]
        for s in doc["segments"]
        for w in s["words"]
    )


def test_cues_split_at_sentences_pauses_and_length():
    words = [
        Word(" One", 0.0, 0.2),
        Word(" two.", 0.3, 0.5),
        Word(" Three", 0.6, 0.8),
        Word(" four", 3.0, 3.2),
    ]
    words += [Word(" word", 3.3 + i * 0.3, 3.5 + i * 0.3) for i in range(30)]
    cues = cues_from_finals([FinalCaption("x", 0.0, 12.5, tuple(words))])
    assert cues[0].text == "One two. Three"  # a lone word joins its neighbour
    assert cues[1].text.startswith("four") and all(len(c.text) <= 84 for c in cues)
    assert sum(len(c.words) for c in cues) == len(words)


def test_from_final_keeps_times_and_words():
    final = FinalCaption("Hi there.", 1.0, 2.0, (Word(" Hi", 1.0, 1.3), Word(" there.", 1.4, 2.0)))
    cue = Cue.from_final(final, speaker="Caller")
    assert (cue.start_s, cue.end_s, cue.text, cue.speaker, cue.words) == (
        1.0,
        2.0,
        "Hi there.",
        "Caller",
        final.words,
    )


def test_unknown_format_and_unwritable_path_are_one_line_errors(tmp_path):
    with pytest.raises(UsageError):
        render([], "docx")
    with pytest.raises(OpenhearError) as err:
        write([Cue(0, 1, "x")], "srt", tmp_path / "missing" / "out.srt")
    assert "\n" not in str(err.value)
    assert set(FORMATS) == {"txt", "srt", "vtt", "json"}


HOSTILE = (
    '<b>bold</b> <font color="red">red</font> <script>alert(1)</script> {\\an8}top {y:i}x \\N'
    " fish & chips\n\n99\n00:00:09,000 --> 00:00:10,000\nforged \x1b[2J\x1b]0;title\x07 \x9b31m end"
)
"""Typed or transcribed text trying markup, SSA/MicroDVD codes, a forged cue, terminal escapes."""
HOSTILE_SHOWN = (
    '<b>bold</b> <font color="red">red</font> <script>alert(1)</script> {\\an8}top {y:i}x \\N'
    " fish & chips 99 00:00:09,000 --> 00:00:10,000 forged [2J]0;title 31m end"
)
"""The words every format shows for it: one line, no control characters, nothing interpreted."""
CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@pytest.fixture
def hostile_cues() -> list[Cue]:
    return [Cue(0.0, 1.0, HOSTILE, speaker="Them"), Cue(1.5, 2.0, "Next.", speaker="Me")]


def test_srt_shows_markup_as_text_with_look_alike_characters(hostile_cues):
    text = render(hostile_cues, "srt")
    parsed = list(srt.parse(text))
    assert [p.index for p in parsed] == [1, 2]  # the forged cue stayed text
    shown = parsed[0].content
    assert not set("<>{}\\") & set(shown) and not CONTROLS.search(shown)
    back = {ord(v): k for k, v in SRT_LOOKALIKES.items()}
    assert shown.translate(back) == "Them: " + HOSTILE_SHOWN
    assert parsed[1].content == "Me: Next."


def test_vtt_escapes_markup_and_keeps_only_its_voice_spans(hostile_cues):
    parsed = webvtt.from_buffer(io.StringIO(render(hostile_cues, "vtt"))).captions
    assert [c.voice for c in parsed] == ["Them", "Me"]
    assert re.findall(r"<[^>]*>", parsed[0].raw_text) == ["<v Them>", "</v>"]
    assert html.unescape(parsed[0].text) == HOSTILE_SHOWN


def test_txt_and_json_hold_the_words_without_control_characters(hostile_cues):
    txt = render(hostile_cues, "txt")
    assert txt.splitlines() == ["Them: " + HOSTILE_SHOWN, "Me: Next."]
    assert not CONTROLS.search(txt)
    doc = render(hostile_cues, "json")
    assert not CONTROLS.search(doc) and "\\u001b" not in doc
    assert [s["text"] for s in json.loads(doc)["segments"]] == [HOSTILE_SHOWN, "Next."]
