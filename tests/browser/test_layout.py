"""Phones and zoom in a real browser: from 320 to 1280 px wide, at 200 % and 400 % browser zoom
(a CSS viewport that many times smaller, drawn with that many device pixels per CSS pixel) and at
the page's own 300 % text size, no view scrolls sideways and the newest caption and the
provisional line are both in sight; the system's dark scheme is the default."""

from __future__ import annotations

import pytest

from browser.conftest import show

pytestmark = [pytest.mark.slow, pytest.mark.browser]

VIEWS = ("captions", "speak", "conversation", "calls", "profile", "amplifier", "alerts")
SCREENS = {
    "320px": (320, 640, 1),
    "phone 375x812": (375, 812, 1),
    "tablet 768px": (768, 1024, 1),
    "1280px": (1280, 900, 1),
    "1280x900 at 200 % zoom": (640, 450, 2),
    "1280x900 at 400 % zoom": (320, 225, 4),
}

FILL_CAPTIONS = """() => {
  const finals = document.getElementById('cap-finals');
  for (let i = 1; i <= 30; i++) {
    const line = document.createElement('p');
    line.textContent = `Line ${i}: and so, my fellow Americans, ask not what your country can do.`;
    finals.append(line);
  }
  finals.lastElementChild.id = 'newest';
  document.getElementById('cap-provisional').textContent = 'ask what you can do for';
  const box = document.getElementById('caption-box');
  box.scrollTop = box.scrollHeight;
  box.scrollIntoView({ block: 'nearest' });
}"""

IN_SIGHT = """(id) => {
  // The line's end (its newest words, a line of text high) is inside the box and the screen.
  const r = document.getElementById(id).getBoundingClientRect();
  const box = document.getElementById('caption-box').getBoundingClientRect();
  const lineHeight = parseFloat(getComputedStyle(document.getElementById(id)).lineHeight);
  return r.height > 0 && r.bottom - lineHeight >= Math.max(0, box.top) - 1
    && r.bottom <= Math.min(innerHeight, box.bottom) + 1;
}"""


def open_page(browser, live_app, width: int, height: int, scale: int, **options):
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=scale, **options
    )
    page = context.new_page()
    page.goto(f"{live_app.url}/")
    page.wait_for_selector("html[data-ready=true]")
    return context, page


def set_text_size(page, percent: int) -> None:
    page.evaluate(
        """(p) => { const s = document.getElementById('text-size'); s.value = p;
        s.dispatchEvent(new Event('input')); }""",
        str(percent),
    )


@pytest.mark.parametrize("screen", SCREENS)
def test_no_view_scrolls_sideways_and_the_newest_caption_is_in_sight(
    browser, live_app, artifacts, screen
):
    width, height, scale = SCREENS[screen]
    context, page = open_page(browser, live_app, width, height, scale)
    wide = []
    for percent in (100, 300):
        set_text_size(page, percent)
        for view in VIEWS:
            show(page, view)
            if view == "profile":
                page.wait_for_selector("#gains table")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                wide.append(f"{view} at {percent} %: {overflow} px too wide")
        show(page, "captions")
        page.evaluate(FILL_CAPTIONS)
        name = screen.replace(" ", "-").replace("%", "pct")
        page.screenshot(path=artifacts / f"layout-{name}-{percent}.png")
        assert page.evaluate(IN_SIGHT, "newest"), f"newest caption out of sight at {percent} %"
        assert page.evaluate(IN_SIGHT, "cap-provisional"), f"provisional out of sight {percent} %"
        page.evaluate("document.getElementById('cap-finals').replaceChildren()")
    page.evaluate("scrollTo(0, 0)")
    page.screenshot(path=artifacts / f"layout-{name}-header.png")
    header = page.evaluate("document.querySelector('.site-header').offsetHeight")
    context.close()
    assert not wide, wide
    assert header < 0.5 * height, f"the header takes {header} of {height} px"


def test_the_system_dark_scheme_is_the_default(browser, live_app):
    context, page = open_page(browser, live_app, 1280, 900, 1, color_scheme="dark")
    assert page.input_value("#theme") == "system"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 20, 23)"
    context.close()
    context, page = open_page(browser, live_app, 1280, 900, 1, color_scheme="light")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    context.close()
