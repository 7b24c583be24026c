"""The cue builder keeps subtitle conventions: sentences, not fragments; two lines of about 42
characters; 1 to 7 s on screen; no overlaps; no lone words unless said alone. Scripted finals
check each rule; real recordings, live and from a file, check them all together, with the SRT
and WebVTT parsed by the `srt` and `webvtt-py` parsers."""

from __future__ import annotations

import io

import pytest
import srt
import webvtt

from openhear.asr.events import FinalCaption, Word
from openhear.captions.cues import SUBTITLES, Cue, break_lines, cues_from_finals, retime
from openhear.captions.writers import render


def words_of(text: str, start_s: float, word_s: float = 0.3) -> tuple[Word, ...]:
    return tuple(
        Word(" " + w, start_s + i * word_s, start_s + (i + 1) * word_s - 0.05)
        for i, w in enumerate(text.split())
    )


def final(text: str, start_s: float, word_s: float = 0.3) -> FinalCaption:
    words = words_of(text, start_s, word_s)
    return FinalCaption(text, words[0].start_s, words[-1].end_s, words)


def assert_conventions(cues: list[Cue], lone_words_allowed: int = 0) -> None:
    """Every rule the builder keeps (a line may run over only by a word longer than the room)."""
    assert cues
    for a, b in zip(cues, cues[1:], strict=False):
        assert a.end_s <= b.start_s + 1e-9, "cues overlap"
    for c in cues:
        assert 1 <= len(c.lines) <= 2 and " ".join(c.lines) == c.text
        assert all(len(line) <= 42 + 8 for line in c.lines), c.lines
        assert len(c.text) <= 84 + 8
        assert c.end_s - c.start_s <= 7.0 + 1e-9
    lone = [c for c in cues if len(c.text.split()) == 1]
    assert len(lone) <= lone_words_allowed, [c.text for c in lone]


def test_fragments_cut_at_pauses_join_into_one_sentence():
    finals = [
        final("Ask.", 0.0),
        final("not.", 1.0),
        final("what your country.", 2.0),
        final("can do for you.", 3.5),
        final("And so.", 5.5),
    ]
    cues = cues_from_finals(finals)
    assert [c.text for c in cues] == ["Ask not what your country can do for you.", "And so."]
    assert_conventions(cues)


def test_a_long_sentence_is_split_at_punctuation_into_balanced_two_line_cues():
    text = (
        "If the reader will excuse me, I will say nothing of my antecedents, nor of the "
        "circumstances which led me to leave my native country, and the narrative would be "
        "tedious to him and painful to myself, so I shall pass over it."
    )
    cues = cues_from_finals([final(text, 0.0)])
    assert len(cues) >= 3
    assert_conventions(cues)
    assert all(c.text.endswith((",", ".")) for c in cues), [c.text for c in cues]
    assert " ".join(c.text for c in cues) == text


def test_cues_are_on_screen_1_to_7_seconds_and_never_overlap():
    finals = [
        final("Yes.", 0.0, 0.2),  # said alone, then a long pause: a cue of its own
        final("Then a slow sentence that goes on and on.", 3.0, 1.2),  # 9 words over 10.8 s
        final("Quick one.", 14.0, 0.1),
        final("Then another.", 14.3, 0.1),
    ]
    cues = cues_from_finals(finals)
    assert cues[0].text == "Yes." and cues[0].end_s - cues[0].start_s == pytest.approx(1.0)
    assert_conventions(cues, lone_words_allowed=1)
    assert cues[-2].end_s <= cues[-1].start_s  # too close for a full second: no overlap instead


def test_a_lone_word_joins_its_neighbour():
    cues = cues_from_finals([final("Right.", 0.0), final("Let us begin the meeting now.", 0.5)])
    assert [c.text for c in cues] == ["Right. Let us begin the meeting now."]


def test_lines_break_at_the_most_balanced_point_not_after_an_article():
    lines = break_lines(
        "We were all going direct to Heaven, we were all going direct the other way"
    )
    assert lines == (
        "We were all going direct to Heaven,",
        "we were all going direct the other way",
    )
    assert break_lines("Short enough.") == ("Short enough.",)
    lines = break_lines("one two three four five six seven eight the nine ten eleven twelve")
    assert not lines[0].endswith(" the")


def test_finals_without_word_times_get_times_spread_over_their_span():
    cues = cues_from_finals(
        [
            FinalCaption("Hello there, how are you?", 1.0, 3.0),
            FinalCaption("Fine, thanks.", 3.5, 4.5),
        ]
    )
    assert [c.text for c in cues] == ["Hello there, how are you?", "Fine, thanks."]
    assert cues[0].words[0].start_s == 1.0 and cues[0].words[-1].end_s == pytest.approx(3.0)


def test_retime_orders_two_speakers_and_ends_a_cue_where_the_next_begins():
    them = Cue(0.0, 3.0, "I was saying", "Them")
    me = Cue(2.0, 4.0, "Sorry", "Me")
    assert [(c.speaker, c.start_s, c.end_s) for c in retime([me, them])] == [
        ("Them", 0.0, 2.0),
        ("Me", 2.0, 4.0),
    ]


def test_srt_and_webvtt_of_built_cues_parse_with_their_lines():
    text = "The narrative would be tedious to him and painful to myself, which is why I stop here."
    cues = cues_from_finals([final(text, 0.0)], speaker="Them")
    parsed = list(srt.parse(render(cues, "srt")))
    assert [p.content for p in parsed] == [
        "\n".join(("Them: " + c.lines[0], *c.lines[1:])) for c in cues
    ]
    vtt = webvtt.from_buffer(io.StringIO(render(cues, "vtt"))).captions
    assert [c.text for c in vtt] == ["\n".join(c.lines) for c in cues]
    assert {c.voice for c in vtt} == {"Them"}


def test_txt_is_a_line_per_sentence():
    finals = [final("And.", 0.0), final("so my.", 1.0), final("fellow Americans.", 2.0)]
    finals += [final("Ask not.", 5.0), final("what your country can do.", 6.0)]
    assert render(cues_from_finals(finals), "txt") == (
        "And so my fellow Americans.\nAsk not what your country can do.\n"
    )


def test_options_are_validated():
    from openhear.captions.cues import CueOptions

    with pytest.raises(ValueError):
        CueOptions(min_duration_s=8.0)
    assert SUBTITLES.max_chars == 84


# --- real recordings ---


@pytest.fixture(scope="module")
def paused_speech(transcriber, long_speech):
    """The LibriSpeech utterance with a 1 s pause put into it after every fourth word, so live
    captions are committed in fragments in the middle of its sentences."""
    import numpy as np

    from openhear.audio.files import read_audio

    audio = read_audio(long_speech.path).mono().astype(np.float32)
    words = transcriber.transcribe(audio)
    rng = np.random.default_rng(5)
    parts, at = [], 0
    for a, b in list(zip(words, words[1:], strict=False))[3::4]:
        cut = round((a.end_s + b.start_s) / 2 * 16000)
        parts += [audio[at:cut], (1e-4 * rng.standard_normal(16000)).astype(np.float32)]
        at = cut
    return np.concatenate([*parts, audio[at:], np.zeros(16000, np.float32)])


def test_live_fragments_from_a_real_recording_become_subtitle_cues(transcriber, paused_speech):
    import dataclasses

    from openhear.asr.streaming import LIVE_OPTIONS, StreamingCaptioner
    from openhear.audio.block import AudioBlock

    captioner = StreamingCaptioner(transcriber, dataclasses.replace(LIVE_OPTIONS, max_lag_s=None))
    events = []
    for i in range(0, paused_speech.size, 320):  # 20 ms blocks, as a sound card gives them
        events += captioner.feed(AudioBlock.from_mono(paused_speech[i : i + 320], 16000, i / 16000))
    live = [e for e in [*events, *captioner.flush()] if isinstance(e, FinalCaption)]
    cues = cues_from_finals(live)
    assert len(live) >= 6 and len(cues) < len(live)
    assert_conventions(cues)
    text = " ".join(c.text for c in cues)
    assert not [f for f in text.split(". ")[1:] if f[:1].islower()]  # no invented stop is left
    parsed = list(srt.parse(render(cues, "srt")))
    assert [p.content for p in parsed] == ["\n".join(c.lines) for c in cues]
    vtt = webvtt.from_buffer(io.StringIO(render(cues, "vtt"))).captions
    assert [c.text for c in vtt] == ["\n".join(c.lines) for c in cues]


def test_file_captions_of_a_real_recording_become_subtitle_cues(transcriber, long_speech):
    from openhear.asr.offline import caption_file

    events = caption_file(long_speech.path, transcriber)
    cues = cues_from_finals(e for e in events if isinstance(e, FinalCaption))
    assert_conventions(cues)
    assert len(list(srt.parse(render(cues, "srt")))) == len(cues)
