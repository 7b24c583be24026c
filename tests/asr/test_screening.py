"""No invented or offensive flashes: provisional words Whisper is unsure of, words outside the
speech VAD heard and phrases Whisper invents on noise are held back; the profanity mask. The
policies run through the real captioner and VAD on real speech with a scripted transcriber
(openhear.testing); real noise recordings through real Whisper give no text at all."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from openhear.asr.events import CaptionEvent, ProvisionalCaption, Word
from openhear.asr.screening import (
    SpeechSpans,
    check_mask,
    hold_back,
    invented_final,
    is_profane,
    mask_word,
    masked,
)
from openhear.asr.streaming import FRAME_S, LIVE_OPTIONS, CaptionOptions, StreamingCaptioner
from openhear.asr.vad import FRAME_SAMPLES, StreamingVad
from openhear.testing import ScriptedTranscriber

from .conftest import feed_chunks, finals


def w(text: str, start_s: float, probability: float = 0.9) -> Word:
    return Word(text, start_s, start_s + 0.25, probability)


def test_provisional_words_stop_at_the_first_unsure_one():
    words = [w(" we", 0.0), w(" were", 0.3), w(" all", 0.6, 0.1), w(" going", 0.9)]
    assert [x.text for x in hold_back(words, 0.3)] == [" we", " were"]
    assert hold_back(words, 0.0) == words


def test_provisional_words_outside_the_speech_heard_are_held_back():
    speech = SpeechSpans()
    speech.mark(0.0, 0.5)
    speech.mark(0.5, 0.7)  # joins the span before
    speech.mark(2.0, 3.0)
    words = [w(" yes", 0.2), w(" ghost", 1.2), w(" no", 2.1)]
    assert [x.text for x in hold_back(words, 0.0, speech)] == [" yes"]
    speech.forget_before(1.0)
    assert not speech.heard(0.2, 0.45)


def test_invented_phrases_are_held_back_whole_or_at_the_end():
    assert hold_back([w(" Thank", 0.0), w(" you.", 0.3)], 0.0) == []
    said = [w(" I", 0.0), w(" told", 0.3), w(" you", 0.6)]
    assert hold_back(said, 0.0) == said  # one word counts only as the whole text
    tail = [w(" so", 0.0), w(" thanks", 0.3), w(" for", 0.6), w(" watching!", 0.9)]
    assert [x.text for x in hold_back(tail, 0.0)] == [" so"]
    assert [x.text for x in hold_back(tail[:2], 0.0)] == [" so"]  # "thanks" waits for the rest


def test_an_unsure_invented_final_is_dropped_and_a_sure_one_kept():
    assert invented_final([w(" Thank", 0.0, 0.3), w(" you.", 0.3, 0.4)])
    assert not invented_final([w(" Thank", 0.0, 0.95), w(" you.", 0.3, 0.9)])
    assert not invented_final([w(" Thank", 0.0, 0.3), w(" you", 0.3, 0.3), w(" Ann.", 0.6, 0.3)])


def test_the_profanity_list_and_mask():
    assert is_profane(" Fucking,") and is_profane("shit.") and is_profane(" motherfuckers")
    assert not is_profane(" Dickens") and not is_profane(" Pakistan") and not is_profane(" hello")
    assert mask_word(" fuck,") == " f***," and mask_word(" Shit!") == " S***!"
    words = [w(" oh", 0.0), w(" shit", 0.3, 0.95), w(" fuck", 0.6, 0.5)]
    assert [x.text for x in masked(words, 0.8)] == [" oh", " shit", " f***"]
    assert [x.text for x in masked(words)] == [" oh", " s***", " f***"]
    assert check_mask("all") == "all"
    with pytest.raises(ValueError, match="off, provisional, all"):
        check_mask("some")
    with pytest.raises(ValueError):
        CaptionOptions(profanity_mask="some")  # type: ignore[arg-type]


# --- the policies in the captioner: real speech and VAD, scripted words ---


def _speech_frames(audio: np.ndarray) -> list[bool]:
    vad = StreamingVad()
    return [
        vad.frame(audio[i : i + FRAME_SAMPLES]) >= 0.5
        for i in range(0, audio.size - FRAME_SAMPLES + 1, FRAME_SAMPLES)
    ]


def _lay_words(audio: np.ndarray, texts: list[tuple[str, float]], start_s: float = 0.0):
    """The (text, probability) words laid 0.3 s each over the frames the VAD calls speech, from
    `start_s` on."""
    speech = _speech_frames(audio)
    words, t = [], start_s
    for text, probability in texts:
        while not all(speech[int(t / FRAME_S) : int((t + 0.3) / FRAME_S) + 1]):
            t += FRAME_S
        words.append(Word(text, t, t + 0.28, probability))
        t += 0.3
    return words


def _run(audio, words, options: CaptionOptions | None = None) -> list[CaptionEvent]:
    return feed_chunks(
        StreamingCaptioner(ScriptedTranscriber(audio, words), options), audio, [1600]
    )


def _shown(events) -> list[list[str]]:
    return [[x.text for x in e.words] for e in events if isinstance(e, ProvisionalCaption)]


def _final_words(events) -> list[str]:
    return [x.text for e in finals(events) for x in e.words]


def test_an_unsure_word_never_flashes_up_but_its_final_comes(conversation):
    audio, _ = conversation
    texts = [(f" w{i}", 0.9) for i in range(8)]
    texts[4] = (" unsure", 0.05)
    words = _lay_words(audio, texts)
    events = _run(audio, words)
    shown = _shown(events)
    assert any(shown) and not any(" unsure" in s for s in shown)
    assert not any(" w5" in s and " w4" not in s for s in shown if " w3" in s)  # nothing after it
    assert _final_words(events) == [x.text for x in words]


def test_a_swear_word_is_masked_while_unsure_and_shown_as_said_when_final(conversation):
    audio, _ = conversation
    texts = [(" oh", 0.9), (" fuck", 0.5), (" it", 0.9), (" is", 0.9), (" late", 0.9)]
    words = _lay_words(audio, texts)
    default = _run(audio, words)
    assert any(" f***" in s for s in _shown(default)) and not any(
        " fuck" in s for s in _shown(default)
    )
    assert " fuck" in _final_words(default)
    everywhere = _run(audio, words, CaptionOptions(profanity_mask="all"))
    assert " f***" in _final_words(everywhere) and "fuck" not in " ".join(
        e.text for e in everywhere
    )
    off = _run(audio, words, CaptionOptions(profanity_mask="off"))
    assert any(" fuck" in s for s in _shown(off))


def test_thank_you_invented_on_a_noise_is_never_shown(conversation):
    audio, spans = conversation
    real = _lay_words(audio, [(f" w{i}", 0.9) for i in range(5)])
    invented = _lay_words(audio, [(" Thank", 0.3), (" you.", 0.2)], start_s=spans[1][0])
    events = _run(audio, real + invented)
    assert not [e for e in events if "Thank" in e.text]
    assert _final_words(events) == [x.text for x in real]
    sure = [Word(x.text, x.start_s, x.end_s, 0.95) for x in invented]
    assert _final_words(_run(audio, real + sure))[-2:] == [" Thank", " you."]


def test_a_word_in_a_pause_is_not_shown_before_it_is_final(conversation):
    audio, spans = conversation
    # one utterance across the pause (a long endpoint), a word scripted inside the pause
    options = CaptionOptions(endpoint_silence_s=2.0)
    real = _lay_words(audio, [(f" w{i}", 0.9) for i in range(4)])
    real += _lay_words(audio, [(f" v{i}", 0.9) for i in range(4)], start_s=spans[1][0])
    pause_middle = (spans[0][1] + spans[1][0]) / 2
    ghost = Word(" ghost", pause_middle, pause_middle + 0.3, 0.9)
    events = _run(audio, sorted(real + [ghost], key=lambda x: x.start_s), options)
    assert any(_shown(events)) and not any(" ghost" in s for s in _shown(events))


# --- real noise through real Whisper ---

NOISES = Path(__file__).resolve().parents[3] / "shared" / "data" / "speech-dev" / "wav16k"


@pytest.mark.parametrize(
    "name", ["noise_speechcommands_doing_the_dishes", "noise_speechcommands_exercise_bike"]
)
def test_real_noise_recordings_give_no_text(transcriber, name):
    from openhear.audio.files import read_audio
    from openhear.audio.resample import resample

    path = NOISES / f"{name}.wav"
    if not path.is_file():
        pytest.skip(f"{path} is not here (the shared data set sits next to the repository)")
    block = read_audio(path)
    audio = resample(block.mono(), block.sample_rate, 16000)[: 60 * 16000]
    options = dataclasses.replace(LIVE_OPTIONS, max_lag_s=None)
    events = feed_chunks(StreamingCaptioner(transcriber, options), audio, [320])
    assert [e.text for e in events if e.text] == []
