"""The page's Language setting with the multilingual model: shown, kept, sent (by the Captions and
the Conversation views); a French fake microphone comes back as captions tagged French (named
before the line, lang="fr")."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from server.live import TEST_OPTIONS
from spoken_languages import SPEECH, words_of

from browser.conftest import show
from openhear.server import create_app
from openhear.server.runner import BackgroundServer
from openhear.server.services import Services

pytestmark = [pytest.mark.slow, pytest.mark.browser]
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def french_page(multilingual, spoken, tmp_path, browser):
    """A page on a multilingual server, in a chromium of its own whose microphone speaks French.
    (`browser`, the package's chromium, is requested so that its Playwright loop is the one
    running: a second sync Playwright in this thread could not start.)"""
    mic = spoken("fr", " ".join([SPEECH["fr"][0]] * 2))
    services = Services(data_dir=tmp_path, transcribers=[multilingual])
    # the live app's options: never ended for load (base live is slow on a shared machine)
    server = BackgroundServer(create_app(TEST_OPTIONS, services), TEST_OPTIONS)
    own = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={mic}%noloop",
        ],
    )
    context = own.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["microphone"], origin=server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server.url}/")
    page.wait_for_selector("html[data-ready=true]")
    yield page
    own.close()
    server.stop()
    assert not errors, errors


def test_french_captions_are_named_and_marked(french_page, artifacts):
    page = french_page
    page.wait_for_selector("#cap-language-setting:not([hidden])")
    assert page.eval_on_selector_all("#cap-language option", "o => o.length") == 100
    assert page.input_value("#cap-language") == "auto"
    page.click("#cap-start")
    page.wait_for_selector("text=Stop captions")
    deadline = time.monotonic() + 150

    def heard_in_french() -> bool:  # the microphone loops: wait for a French word, not just a line
        return bool(
            page.query_selector("#cap-finals [lang=fr]")
            and words_of(page.inner_text("#cap-finals")) & set(SPEECH["fr"][1])
        )

    while time.monotonic() < deadline and not heard_in_french():
        page.wait_for_timeout(250)
    page.screenshot(path=artifacts / "captions-french.png")
    line = page.query_selector("#cap-finals [lang=fr]")
    assert line is not None, page.inner_text("#cap-finals")
    assert line.inner_text().startswith("French:")
    assert words_of(page.inner_text("#cap-finals")) & set(SPEECH["fr"][1])
    page.select_option("#cap-language", "de")
    assert page.evaluate("localStorage.getItem('openhear.captionLanguage')") == "de"


def test_a_conversation_listens_in_the_chosen_language(french_page):
    page = french_page
    page.wait_for_selector("#cap-language-setting:not([hidden])")
    page.select_option("#cap-language", "fr")
    starts: list[dict] = []

    def watch(socket) -> None:
        def sent(payload) -> None:
            if isinstance(payload, str) and '"start"' in payload:
                starts.append(json.loads(payload))

        socket.on("framesent", sent)

    page.on("websocket", watch)
    show(page, "conversation")
    page.uncheck("#conv-disclosure")
    page.click("#conv-start")
    page.wait_for_selector("#conv-end:not([disabled])")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not starts:
        page.wait_for_timeout(100)
    assert starts and starts[0]["language"] == "fr", starts
    page.click("#conv-end")
