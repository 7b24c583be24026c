"""The Calls view's start request: the page's profanity and language settings reach the captioner
of the other person (real Whisper on Piper speech with a swear word in it, and on German speech
made by espeak-ng)."""

from __future__ import annotations

import pytest
from spoken_languages import SPEECH, words_of

from openhear.asr.events import FinalCaption, revised_finals
from openhear.asr.streaming import final_text
from openhear.server.routes_calls import Dial


def test_the_pages_profanity_setting_masks_the_other_persons_captions(transcriber, voice):
    blocks = list(voice.synthesize("Oh shit, I missed the bus again."))

    def captioned(start: Dial) -> str:
        captioner = start.call_request().captioner(transcriber)
        events = [e for block in blocks for e in captioner.feed(block)]
        return final_text([*events, *captioner.flush()])

    assert "shit" in captioned(Dial(target="sip:a@b"))  # by default, finals show what was said
    masked = captioned(Dial(target="sip:a@b", profanity_mask="all"))
    assert "s***" in masked and "shit" not in masked, masked


@pytest.mark.slow
def test_the_pages_language_setting_is_the_language_the_other_person_is_captioned_in(
    multilingual, spoken
):
    """German speech: identified as German by default, heard as the language the page asks for
    (here French, which the model would not choose) when the setting is sent."""
    from openhear.audio.files import iter_audio_file

    sentence, expected = SPEECH["de"]
    said = spoken("de", sentence)

    def captioned(start: Dial) -> list[FinalCaption]:
        captioner = start.call_request().captioner(multilingual)
        events = [e for block in iter_audio_file(said) for e in captioner.feed(block)]
        return revised_finals([*events, *captioner.flush()])

    identified = captioned(Dial(target="sip:a@b"))
    assert {w.language for f in identified for w in f.words} == {"de"}
    assert len(words_of(" ".join(f.text for f in identified)) & set(expected)) >= 2, identified
    chosen = captioned(Dial(target="sip:a@b", language="fr"))
    assert chosen and {w.language for f in chosen for w in f.words} == {"fr"}
    assert multilingual.language is None  # the server's model keeps identifying
