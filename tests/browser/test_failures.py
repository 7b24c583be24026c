"""Failures in a real browser never look like success: a lost server shows a banner, is announced
and reconnects by itself; a reply the server never got is marked "not sent" and can be retried;
typed text survives a failed send; a refused microphone comes with help; speech can be stopped,
skipped and queued in sight."""

from __future__ import annotations

import httpx
import pytest

from browser.conftest import show

pytestmark = [pytest.mark.slow, pytest.mark.browser]

LONG = " ".join(
    f"This is sentence number {i}, which goes on for a while so that speaking it takes time."
    for i in range(1, 9)
)


def proxied_sockets(page) -> list:
    """Routes the caption socket through Playwright to the real server; the returned list gains
    each connection, which a test closes to play a server that went away."""
    servers: list = []

    def connect(ws) -> None:
        ws.connect_to_server()
        servers.append(ws)

    page.route_web_socket("**/ws/captions", connect)
    return servers


def announced(page) -> str:
    return page.inner_text("#announcer")


def test_a_lost_server_shows_a_banner_and_captions_come_back(page, artifacts):
    servers = proxied_sockets(page)
    page.click("#cap-start")
    page.wait_for_selector("text=Stop captions")
    page.wait_for_function("document.getElementById('cap-state').textContent.includes('Listen')")
    assert page.is_hidden("#banner")
    servers[-1].close(code=1011, reason="gone")  # the server goes away mid-captions
    page.wait_for_selector("#banner:not([hidden])")
    banner = page.inner_text("#banner")
    assert "connection to the openhear server was lost" in banner
    assert "Captions stopped." not in page.inner_text("#cap-state")  # not like a Stop press
    assert page.get_attribute("#cap-state", "class") == "state error"
    page.screenshot(path=artifacts / "captions-lost.png")
    # It reconnects by itself, the banner goes and captions keep running.
    page.wait_for_selector("#banner", state="hidden", timeout=30000)
    assert len(servers) == 2
    page.wait_for_selector("#cap-state:not(.error) >> text=Listening")
    assert "Reconnected" in announced(page) or "Listening again" in announced(page)
    assert page.inner_text("#cap-start") == "Stop captions"
    page.click("#cap-start")
    page.wait_for_selector("text=Start captions")
    assert page.is_hidden("#banner")


def test_stop_while_reconnecting_gives_up_quietly(page):
    servers = proxied_sockets(page)
    page.click("#cap-start")
    page.wait_for_function("document.getElementById('cap-state').textContent.includes('Listen')")
    page.route("**/static/capture-worklet.js", lambda r: r.abort())  # reconnecting fails
    servers[-1].close(code=1011, reason="gone")
    page.wait_for_function(
        "document.getElementById('banner-text').textContent.includes('Trying again')"
    )
    page.click("#cap-start")  # the user stops
    page.wait_for_selector("#banner", state="hidden")
    assert page.inner_text("#cap-state") == "Captions stopped."


def test_a_conversation_reconnects_and_a_reply_never_sent_is_marked_and_retried(
    page, live_app, artifacts
):
    servers = proxied_sockets(page)
    show(page, "conversation")
    page.uncheck("#conv-disclosure")
    page.click("#conv-start")
    page.wait_for_selector("#conv-end:not([disabled])")
    page.wait_for_selector("#conv-box[data-listening=true]")
    servers[-1].close(code=1011, reason="gone")
    page.wait_for_selector("#banner:not([hidden])")
    assert "not being captioned" in page.inner_text("#banner")
    page.wait_for_selector("#banner", state="hidden", timeout=30000)
    page.wait_for_selector("#conv-box[data-listening=true]")
    assert len(servers) == 2
    # The server cannot be reached when a reply is sent.
    page.route("**/api/speak", lambda route: route.abort())
    page.fill("#reply-text", "I will call you back tomorrow.")
    page.press("#reply-text", "Enter")
    line = page.locator("#conv-transcript li.not-sent")
    line.wait_for()
    assert "(not sent)" in line.inner_text()
    assert "not sent" in page.inner_text("#conv-state")
    assert "Failed to fetch" not in page.inner_text("body")
    page.screenshot(path=artifacts / "conversation-not-sent.png")
    conversation = httpx.get(f"{live_app.url}/api/conversations").json()[0]["id"]
    stored = httpx.get(f"{live_app.url}/api/conversations/{conversation}").json()["entries"]
    assert not [e for e in stored if e["speaker"] == "me"]  # nothing shown as said that was not
    page.unroute("**/api/speak")
    page.click('button[aria-label="Retry sending: I will call you back tomorrow."]')
    page.wait_for_selector("#conv-transcript li.not-sent", state="detached")
    page.wait_for_function("Number(document.body.dataset.speechPlayed || 0) >= 1", timeout=60000)
    stored = httpx.get(f"{live_app.url}/api/conversations/{conversation}").json()["entries"]
    assert [e["text"] for e in stored if e["speaker"] == "me"] == ["I will call you back tomorrow."]
    page.click("#conv-end")


def test_typed_text_survives_a_failed_send_and_the_limit_is_said(page):
    show(page, "speak")
    page.route("**/api/speak", lambda route: route.abort())
    page.fill("#speak-text", "Hello there.")
    page.press("#speak-text", "Enter")
    page.wait_for_selector("#speak-state.error")
    assert "cannot be reached" in page.inner_text("#speak-state")
    assert page.input_value("#speak-text") == "Hello there."
    page.unroute("**/api/speak")
    # Past the limit: the counter says so and nothing is cut or sent.
    too_long = "a" * 5001
    page.fill("#speak-text", too_long)
    assert page.inner_text("#speak-count") == "5,001 of 5,000 characters"
    page.press("#speak-text", "Enter")
    page.wait_for_function(
        "document.getElementById('speak-state').textContent.includes('5,001 characters')"
    )
    assert page.input_value("#speak-text") == too_long


def test_a_refused_microphone_comes_with_help(browser, live_app):
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(
        "navigator.mediaDevices.getUserMedia = async () => {"
        " throw new DOMException('Permission denied', 'NotAllowedError'); };"
    )
    page.goto(f"{live_app.url}/")
    page.wait_for_selector("html[data-ready=true]")
    page.click("#cap-start")
    page.wait_for_selector("#cap-state.error")
    state = page.inner_text("#cap-state")
    assert "not allowed to use the microphone" in state and "Microphone to Allow" in state
    assert "Permission denied" not in state
    context.close()


def test_speech_starts_before_all_of_it_is_made_and_can_be_skipped_and_stopped(page, artifacts):
    show(page, "speak")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/api/speak") else None)
    page.fill("#speak-text", LONG)
    page.press("#speak-text", "Enter")
    page.wait_for_selector("#speech-bar:not([hidden])")
    page.wait_for_function("Number(document.body.dataset.speechStarted || 0) >= 1", timeout=60000)
    assert len(asked) <= 2  # the first piece plays while at most the next is made
    page.fill("#speak-text", "Yes.")
    page.press("#speak-text", "Enter")
    assert page.inner_text("#speech-queue") == "Yes."  # the queue is in sight
    page.screenshot(path=artifacts / "speech-queue.png")
    page.click("#speech-skip")  # skip the long text: "Yes." is next
    page.wait_for_function(
        "document.getElementById('speech-now').textContent === 'Yes.'", timeout=60000
    )
    page.wait_for_selector("#speech-bar", state="hidden", timeout=60000)
    assert len(asked) < 8  # the skipped text was not all made
    # Escape stops everything, wherever the focus is.
    page.fill("#speak-text", LONG)
    page.press("#speak-text", "Enter")
    page.fill("#speak-text", "Yes.")
    page.press("#speak-text", "Enter")
    page.wait_for_function("Number(document.body.dataset.speechStarted || 0) >= 3", timeout=60000)
    page.keyboard.press("Escape")
    page.wait_for_selector("#speech-bar", state="hidden")
    page.wait_for_selector("#announcer >> text=Speech stopped.", state="attached")


def test_a_lost_microphone_shows_a_banner_and_captions_come_back(page):
    page.evaluate(
        """() => {  // keep the page's microphone streams where the test can end them
        const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
        window.streams = [];
        navigator.mediaDevices.getUserMedia = async (c) => {
          const s = await open(c); window.streams.push(s); return s; };
      }"""
    )
    page.click("#cap-start")
    page.wait_for_function("document.getElementById('cap-state').textContent.includes('Listen')")
    # The browser ends the track when the device goes away (unplugged, taken by the system).
    page.evaluate(
        "() => { const t = window.streams[0].getAudioTracks()[0]; t.stop();"
        " t.dispatchEvent(new Event('ended')); }"
    )
    page.wait_for_selector("#banner:not([hidden])")
    assert "microphone stopped or was unplugged" in page.inner_text("#banner")
    page.wait_for_selector("#banner", state="hidden", timeout=30000)
    assert page.evaluate("window.streams.length") == 2  # opened again
    page.wait_for_selector("#cap-state:not(.error) >> text=Listening")
    page.click("#cap-start")
    page.wait_for_selector("text=Start captions")
