"""The captions view in a real browser: the fake microphone's real speech comes back as captions."""

from __future__ import annotations

import time

import pytest

from openhear.asr.wer import wer

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_captions_show_the_words_of_real_speech(page, mic_speech, artifacts):
    page.click("#cap-start")
    page.wait_for_selector("text=Stop captions")
    # Real time plus a generous margin: the bound catches a stalled pipeline, not a slow shared CPU.
    deadline = time.monotonic() + 2 * mic_speech.duration_s + 45
    seen_provisional = False
    text = ""
    while time.monotonic() < deadline:
        seen_provisional |= bool(page.text_content("#cap-provisional"))
        text = page.inner_text("#cap-finals")
        if wer(mic_speech.text, text) <= 0.25:
            break
        page.wait_for_timeout(250)
    page.screenshot(path=artifacts / "captions.png")
    assert wer(mic_speech.text, text) <= 0.25, text
    assert seen_provisional, "no provisional line was shown while speech went on"
    assert page.get_attribute("#cap-finals", "aria-live") == "polite"
    # Export what was captioned as WebVTT, written by the server's caption writers.
    page.select_option("#cap-format", "vtt")
    with page.expect_download() as info:
        page.click("#cap-export")
    vtt = open(info.value.path(), encoding="utf-8").read()
    assert vtt.startswith("WEBVTT") and "-->" in vtt
    page.click("#cap-start")  # stop
    page.wait_for_selector("text=Start captions")
