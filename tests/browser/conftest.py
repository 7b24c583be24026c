"""One Debian chromium for the session, with a fake microphone that plays a
real speech recording."""

from __future__ import annotations

from pathlib import Path

import pytest
from server.live import live_app  # noqa: F401  (the session's one live app, shared with tests/server)

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts" / "browser"
MIC_UTTERANCE = "librispeech_dev-clean_2412-153948-0000"
"""The recording the fake microphone plays once (11.7 s of read speech with its transcript)."""


@pytest.fixture(scope="session")
def mic_speech(manifest):
    return next(u for u in manifest if u.id == MIC_UTTERANCE)


@pytest.fixture(scope="package")
def playwright():
    """Package scope: Playwright's sync API runs an event loop in this thread while it lives, so it
    must stop before the tests that follow call asyncio.run."""
    if not CHROMIUM.exists():
        pytest.fail(
            "Debian's chromium is missing: run `scripts/setup.sh --test` (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def launch(playwright, microphone: Path, loop: bool = False):
    """Debian's chromium with a fake microphone that plays `microphone` (a WAV file), once or in
    a loop."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}{'' if loop else '%noloop'}",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )


@pytest.fixture(scope="package")
def browser(playwright, mic_speech):
    """The browser whose microphone plays real speech once."""
    browser = launch(playwright, mic_speech.path)
    yield browser
    browser.close()


@pytest.fixture
def page(browser, live_app):  # noqa: F811 (the imported fixture, requested by name)
    """A fresh page (own storage) on the live app, ready to use."""
    # bypass_csp: Playwright and axe-core inject scripts, which the page's strict
    # policy would refuse.
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True, bypass_csp=True
    )
    context.grant_permissions(["microphone"], origin=live_app.url)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_app.url}/")
    page.wait_for_selector("html[data-ready=true]")
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def axe_path() -> Path:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (scripts/setup.sh --test does)")
    return AXE


def show(page, view: str) -> None:
    """Switches the page to a view the way a user does: through its link."""
    page.click(f'.views a[data-view="{view}"]')
    page.wait_for_selector(f"#view-{view}:not([hidden])")
