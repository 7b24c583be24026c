"""Your name in a real browser: the name set in the Sound alerts view is kept, and while live
captions run on a fake microphone that says it (real speech, in a loop), the name alert shows over
the captions view, with the words heard, and goes into the history as heard by the captions."""

from __future__ import annotations

import pytest

from browser.conftest import launch, show
from browser.test_alerts_view import ALERT_WAIT_MS, acknowledge_all, open_page

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PHIL = "cmu_arctic_axb_a0004"
"""Real speech that ends with a name: "Lord, but I'm glad to see you again, Phil." (2.8 s)."""


@pytest.fixture(scope="module")
def phil_browser(playwright, manifest):
    browser = launch(playwright, next(u for u in manifest if u.id == PHIL).path, loop=True)
    yield browser
    browser.close()


def test_the_name_said_while_captions_run_is_alerted(phil_browser, live_app, artifacts):
    context, page, errors = open_page(phil_browser, live_app)
    try:
        acknowledge_all(page)  # alerts other tests left on the shared server
        show(page, "alerts")
        assert "not watched" in page.inner_text("#alert-words-state")
        page.fill("#alert-name", "Phil")
        page.fill("#alert-words", "mum, help me ,")
        assert "Phil, mum, help me" in page.inner_text("#alert-words-state")
        page.locator("#alert-words-state").scroll_into_view_if_needed()
        page.screenshot(path=artifacts / "alert-words.png")
        page.reload()  # kept in this browser
        page.wait_for_selector("html[data-ready=true]")
        page.wait_for_selector("body[data-alerts-subscribed=true]")
        assert page.input_value("#alert-name") == "Phil"

        show(page, "captions")
        page.click("#cap-start")
        page.wait_for_selector("#cap-start >> text=Stop captions")
        page.wait_for_selector(
            "#alert-screen:not([hidden]) .alert-label >> text=Your name or a listed word",
            timeout=ALERT_WAIT_MS,
        )
        assert page.is_visible("#view-captions")
        detail = page.inner_text("#alert-screen .alert-detail")
        assert '"phil" in' in detail.lower(), detail
        page.screenshot(path=artifacts / "name-alert.png")
        assert page.evaluate("window.__vibrations")[0] == [500, 250, 500]  # urgent
        page.click("#cap-start")  # stop captions
        page.wait_for_selector("#cap-start >> text=Start captions")
        acknowledge_all(page)
        show(page, "alerts")
        row = page.locator("#alert-history tr[data-sound=name]").first
        assert row.locator("td").nth(1).inner_text() == "Your name or a listed word"
        assert row.locator("td").nth(3).inner_text() == "captions"
    finally:
        context.close()
    assert not errors, errors
