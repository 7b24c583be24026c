"""The Calls view's start request: the page's profanity setting reaches the captioner of the other
person (real Whisper on Piper speech with a swear word in it)."""

from __future__ import annotations

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
