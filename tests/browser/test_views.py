"""The other views in a real browser: speaking a reply into a stored conversation, the audiogram
chart driving the prescribed gains, phrases, the amplifier's no-device state, remembered
settings."""

from __future__ import annotations

import httpx
import pytest

from browser.conftest import show
from openhear.relay.session import DEFAULT_DISCLOSURE

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_a_typed_reply_is_heard_in_the_page_and_stored(page, live_app, artifacts):
    show(page, "conversation")
    page.click(".notice-editor summary")  # the notice is the user's to word
    page.wait_for_function(  # its default is the library's, served by GET /api/settings
        "(text) => document.getElementById('conv-notice').value === text", arg=DEFAULT_DISCLOSURE
    )
    page.fill("#conv-notice", "Hello, I am deaf: a computer voice speaks for me.")
    page.check("#conv-mute")  # the fallback to echo cancellation: no captions while a reply plays
    page.click("#conv-start")
    page.wait_for_selector("#conv-end:not([disabled])")
    # While the notice plays, captions are paused, and the page says so.
    page.wait_for_selector("#conv-paused:not([hidden])", timeout=30000)
    page.wait_for_function(
        "Number(document.body.dataset.speechPlayed || 0) >= 1", timeout=30000
    )  # the notice
    page.wait_for_selector("#conv-transcript li.gap >> text=[not captioned: reply playing]")
    page.wait_for_selector("#conv-paused", state="hidden")
    page.fill("#reply-text", "Could you say that again a little slower, please?")
    page.press("#reply-text", "Enter")
    page.wait_for_function("Number(document.body.dataset.speechPlayed) >= 2", timeout=30000)
    rms = float(page.evaluate("document.body.dataset.lastSpeechRms"))
    seconds = float(page.evaluate("document.body.dataset.lastSpeechSeconds"))
    assert rms > 0.02 and seconds > 1.0  # real speech, not silence or a click
    page.screenshot(path=artifacts / "conversation.png")
    newest = httpx.get(f"{live_app.url}/api/conversations").json()[0]
    stored = httpx.get(f"{live_app.url}/api/conversations/{newest['id']}").json()["entries"]
    me = [e["text"] for e in stored if e["speaker"] == "me"]
    assert "Could you say that again a little slower, please?" in me
    assert me[0] == "Hello, I am deaf: a computer voice speaks for me."  # the notice went first
    page.click("#conv-end")
    # The past conversation is listed and exports as WebVTT with speaker voices.
    page.wait_for_selector(f'button[aria-label="Open conversation {newest["id"]}"]')
    page.select_option(f'select[aria-label="Export format for conversation {newest["id"]}"]', "vtt")
    with page.expect_download() as info:
        page.click(f'button[aria-label="Export conversation {newest["id"]}"]')
    vtt = open(info.value.path(), encoding="utf-8").read()
    assert vtt.startswith("WEBVTT") and "<v Me>Could you say that again" in vtt
    # Reopened, it shows its transcript again; deleted (two presses), it is gone for good.
    page.click(f'button[aria-label="Open conversation {newest["id"]}"]')
    page.wait_for_selector("#conv-transcript >> text=Could you say that again")
    delete = f'button[aria-label="Delete conversation {newest["id"]}"]'
    page.click(delete)
    page.click(delete)
    page.wait_for_selector(delete, state="detached")
    assert httpx.get(f"{live_app.url}/api/conversations/{newest['id']}").status_code == 404


def gains_text(page) -> str:
    return page.inner_text("#gains table tbody")


def test_an_audiogram_entered_on_the_chart_changes_the_prescribed_gains(page, artifacts):
    show(page, "profile")
    page.wait_for_selector("#gains table")
    before = gains_text(page)
    point = page.locator('#audiogram [role="slider"][aria-label="Left ear, 2000 Hz"]')
    level = int(point.get_attribute("aria-valuenow"))
    point.focus()
    for _ in range(4):
        page.keyboard.press("ArrowDown")  # 20 dB more loss at 2 kHz
    page.wait_for_function(
        "(b) => document.querySelector('#gains table tbody').innerText !== b", arg=before
    )
    assert (
        int(page.get_attribute('#audiogram [aria-label="Left ear, 2000 Hz"]', "aria-valuenow"))
        == level + 20
    )
    after = gains_text(page)
    left_before = [r for r in before.splitlines() if r.startswith("Left ear, average")][0].split(
        "\t"
    )
    left_after = [r for r in after.splitlines() if r.startswith("Left ear, average")][0].split("\t")
    assert float(left_after[6]) > float(left_before[6])  # more gain at 2 kHz
    right_rows = [r for r in before.splitlines() if r.startswith("Right")]
    assert right_rows == [
        r for r in after.splitlines() if r.startswith("Right")
    ]  # the other ear untouched
    # A click on the chart sets the right ear too, once that ear is chosen.
    page.check('input[name="ear"][value="right"]')
    page.screenshot(path=artifacts / "profile.png", full_page=True)


def test_phrases_are_added_spoken_and_removed(page, artifacts):
    show(page, "speak")
    page.fill("#phrase-name", "repeat")
    page.fill("#phrase-text", "Please say that again.")
    page.click("#phrase-form button[type=submit]")
    say = page.locator('button[aria-label="Say “Please say that again.”"]')
    say.wait_for()
    played = int(page.evaluate("document.body.dataset.speechPlayed || 0"))
    say.click()
    page.wait_for_function(
        f"Number(document.body.dataset.speechPlayed || 0) > {played}", timeout=30000
    )
    page.screenshot(path=artifacts / "speak.png", full_page=True)
    remove = 'button[aria-label="Remove phrase repeat"]'
    page.click(remove)  # a first press only asks for confirmation
    assert page.inner_text(remove) == "Press again to remove"
    assert say.is_visible()
    page.click(remove)
    page.wait_for_selector("#phrases >> text=No saved phrases yet.")


def test_the_amplifier_says_clearly_when_there_is_no_sound_device(page, artifacts):
    show(page, "amplifier")
    page.wait_for_function("!document.getElementById('amp-state').textContent.includes('Looking')")
    state = page.inner_text("#amp-state")
    devices = httpx.get(f"{page.url.split('/#')[0]}/api/amplifier").json()["devices"]
    if devices["available"]:
        pytest.skip("this machine has sound devices: the no-device state cannot be shown")
    assert "No " in state and "found on this computer" in state
    assert page.is_disabled("#amp-start")
    page.screenshot(path=artifacts / "amplifier.png", full_page=True)


def test_text_size_and_theme_are_remembered(page, artifacts):
    page.fill("#text-size", "300")
    page.dispatch_event("#text-size", "input")
    page.select_option("#theme", "contrast")
    page.reload()
    page.wait_for_selector("html[data-ready=true]")
    assert page.get_attribute("html", "data-theme") == "contrast"
    assert page.input_value("#text-size") == "300"
    assert (
        page.evaluate("getComputedStyle(document.getElementById('caption-box')).fontSize") == "72px"
    )  # 1.6 x 16 x 3 = 76.8, capped at 8 % of the 900 px high screen so lines still fit
    page.screenshot(path=artifacts / "captions-300pct-contrast.png")
