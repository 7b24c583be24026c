"""Echo cancellation in the Conversation view (the default): captions keep running while the
page speaks a reply. Chromium's fake microphone plays real read speech from the moment the
conversation starts, so most of it is said while the disclosure notice plays; all of it must be
captioned (with "mute", the part under the notice is lost and marked instead)."""

from __future__ import annotations

import time

import httpx
import pytest

from browser.conftest import show
from openhear.asr.wer import wer

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CAPTION_WER = 0.3
"""Tiny.en on 11.7 s of read speech from the browser's fake microphone: loose, for model jitter."""


def test_the_other_person_is_captioned_while_the_notice_plays(page, live_app, mic_speech):
    show(page, "conversation")
    assert not page.is_checked("#conv-mute")  # echo cancellation is the default
    page.click("#conv-start")
    page.wait_for_selector("#conv-end:not([disabled])")
    page.wait_for_function(
        "Number(document.body.dataset.speechPlayed || 0) >= 1", timeout=60000
    )  # the notice has played, over the other person's speech
    page.wait_for_function(
        "document.querySelectorAll('#conv-transcript li.them').length >= 1", timeout=60000
    )
    assert page.is_hidden("#conv-paused")
    number = httpx.get(f"{live_app.url}/api/conversations").json()[0]["id"]

    def them() -> str:
        entries = httpx.get(f"{live_app.url}/api/conversations/{number}").json()["entries"]
        return " ".join(e["text"] for e in entries if e["speaker"] == "them")

    # the whole recording captioned (bounded wait, so that a hung test ends)
    deadline = time.monotonic() + 120
    while wer(mic_speech.text, them()) > CAPTION_WER and time.monotonic() < deadline:
        time.sleep(0.5)
    page.click("#conv-end")
    assert page.locator("#conv-transcript li.gap").count() == 0
    # the first words were said while the notice played: with mute they would be missing
    assert wer(mic_speech.text, them()) <= CAPTION_WER, them()
