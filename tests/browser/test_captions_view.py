"""The captions view in a real browser: the fake microphone's real speech comes back as captions."""

from __future__ import annotations

import time

import pytest

from openhear.asr.wer import wer

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_captions_show_the_words_of_real_speech(page, mic_speech, artifacts):
    # large text in a narrow window, so the captions fill their box while speech still comes in
    # (the revision pass joins fragments into fewer lines, so a wide box filled only at the end)
    page.set_viewport_size({"width": 700, "height": 900})
    page.fill("#text-size", "300")
    page.dispatch_event("#text-size", "input")
    page.click("#cap-start")
    page.wait_for_selector("text=Stop captions")
    # Real time plus a generous margin: the bound catches a stalled pipeline, not a slow shared CPU.
    deadline = time.monotonic() + 2 * mic_speech.duration_s + 45
    seen_provisional = scrolled_back = jump_offered = False
    text = ""
    while time.monotonic() < deadline:
        seen_provisional |= bool(page.text_content("#cap-provisional"))
        if not scrolled_back and page.evaluate(
            "(b => b.scrollHeight > b.clientHeight + 50)(document.getElementById('caption-box'))"
        ):
            page.evaluate(
                "document.getElementById('caption-box').scrollTop = 0"
            )  # the reader scrolls back
            scrolled_back = True
        if scrolled_back and not jump_offered and page.is_visible("#cap-jump"):
            jump_offered = True
            assert (
                page.evaluate("document.getElementById('caption-box').scrollTop") == 0
            )  # not pulled down
            page.click("#cap-jump")
            assert (
                page.evaluate(
                    "(b => b.scrollHeight - b.scrollTop - b.clientHeight)"
                    "(document.getElementById('caption-box'))"
                )
                < 10
            )
        text = page.inner_text("#cap-finals")
        if wer(mic_speech.text, text) <= 0.25 and jump_offered:
            break
        page.wait_for_timeout(250)
    page.screenshot(path=artifacts / "captions.png")
    assert wer(mic_speech.text, text) <= 0.25, text
    assert seen_provisional, "no provisional line was shown while speech went on"
    assert jump_offered, (
        "scrolling back did not stop auto-scroll and offer the jump to the newest line"
    )
    assert page.get_attribute("#cap-finals", "aria-live") == "polite"
    # Export what was captioned as WebVTT, written by the server's caption writers.
    page.select_option("#cap-format", "vtt")
    with page.expect_download() as info:
        page.click("#cap-export")
    vtt = open(info.value.path(), encoding="utf-8").read()
    assert vtt.startswith("WEBVTT") and "-->" in vtt
    page.click("#cap-start")  # stop
    page.wait_for_selector("text=Start captions")
