"""Echo cancellation in the Conversation view (the default): captions keep running while the
page speaks a reply. Chromium's fake microphone plays real read speech from the moment the
conversation starts, so its first words are said while the disclosure notice plays; they must be
captioned (with "mute", the part under the notice is lost and marked instead). The fake
microphone carries no echo, so this also checks that the canceller leaves speech alone when
nothing of the reply is heard back."""

from __future__ import annotations

import time

import httpx
import pytest

from browser.conftest import show
from openhear.asr.wer import normalize, wer

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CAPTION_WER = 0.3
"""Tiny.en on 11.7 s of read speech from the browser's fake microphone: loose, for model jitter."""
OPENING = ("if", "reader", "will", "excuse", "i", "say", "nothing")
"""Words said while the notice plays ("IF THE READER WILL EXCUSE ME I WILL SAY NOTHING OF", the
first 11 of 33) and never after: muted, none of them is captioned (WER 0.333)."""
OPENING_CAPTIONED = 5
"""Of OPENING, at least this many must be captioned."""
ENDING = ("tedious", "painful", "myself")
"""The recording's last words: once one is captioned, the captioner has heard all of it."""
SETTLE_S = 3.0
"""After that, the stored lines are final once they have not changed for this long (the revision
pass may still rewrite the last utterance)."""
WAIT_S = 60.0
"""Longest wait for the captions (a hung captioner): the recording is 11.7 s."""


def test_the_other_person_is_captioned_while_the_notice_plays(page, live_app, mic_speech):
    show(page, "conversation")
    assert not page.is_checked("#conv-mute")  # echo cancellation is the default
    page.click("#conv-start")
    page.wait_for_selector("#conv-end:not([disabled])")
    page.wait_for_function(
        "Number(document.body.dataset.speechPlayed || 0) >= 1", timeout=60000
    )  # the notice has played, over the other person's speech
    assert page.is_hidden("#conv-paused")
    number = httpx.get(f"{live_app.url}/api/conversations").json()[0]["id"]

    def them() -> str:
        entries = httpx.get(f"{live_app.url}/api/conversations/{number}").json()["entries"]
        return " ".join(e["text"] for e in entries if e["speaker"] == "them")

    # wait for the end of the recording to be captioned, then for the lines to settle
    deadline = time.monotonic() + WAIT_S
    said = them()
    while not set(ENDING) & set(normalize(said)) and time.monotonic() < deadline:
        time.sleep(0.5)
        said = them()
    settled = time.monotonic()
    while time.monotonic() - settled < SETTLE_S and time.monotonic() < deadline:
        time.sleep(0.5)
        now = them()
        if now != said:
            said, settled = now, time.monotonic()
    page.click("#conv-end")
    assert page.locator("#conv-transcript li.gap").count() == 0
    words = set(normalize(said))
    assert words & set(ENDING), f"the end of the recording was not captioned: {said!r}"
    # the first words were said while the notice played: with mute they would be missing
    opening = [w for w in OPENING if w in words]
    assert len(opening) >= OPENING_CAPTIONED, f"only {opening} of {OPENING} captioned: {said!r}"
    assert wer(mic_speech.text, said) <= CAPTION_WER, said
