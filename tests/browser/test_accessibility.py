"""Accessibility is the product: axe-core finds nothing serious in any view and theme, and the
keyboard alone reaches every control of every view, each with a visible focus indicator."""

from __future__ import annotations

import pytest

from browser.conftest import axe_path, show

pytestmark = [pytest.mark.slow, pytest.mark.browser]

VIEWS = ("captions", "speak", "conversation", "profile", "hearing", "amplifier")
THEMES = ("light", "dark", "contrast")
READY = {"profile": "#gains table", "amplifier": "#amp-start[data-no-device]"}
"""What each view shows once its data has loaded."""

TAB_STOPS = """() => {
  // Every control a keyboard user must be able to reach in the header and the visible view.
  const selector = 'a[href], button:not([disabled]), input:not([disabled]), ' +
    'select:not([disabled]), textarea:not([disabled]), audio[controls], [tabindex="0"]';
  const inScope = (el) => el.closest('header') || el.closest('.view:not([hidden])');
  const visible = (el) => el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== 'hidden';
  return [...document.querySelectorAll(selector)]
    .filter((el) => inScope(el) && visible(el) && !el.classList.contains('skip-link'))
    .filter((el) => el.type !== 'radio' || el.checked)  // a radio group is one tab stop
    .map((el, i) => {
      el.dataset.kbd = el.dataset.kbd || `k${i}-${el.id || el.tagName}`;
      return el.dataset.kbd;
    });
}"""

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const halo = el.querySelector && el.querySelector('.halo');
  const shown = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2
    || (halo && getComputedStyle(halo).stroke !== 'transparent'
        && getComputedStyle(halo).stroke !== 'none')
    || el.tagName === 'AUDIO';  // the browser draws focus inside the media controls
  return { key: el.dataset.kbd || el.id || el.tagName, visible: Boolean(shown) };
}"""


def wait_ready(page, view: str) -> None:
    if view in READY:
        page.wait_for_selector(READY[view])


def test_axe_finds_no_serious_or_critical_violations_in_any_theme(page, artifacts):
    page.add_script_tag(path=str(axe_path()))
    problems = []
    for theme in THEMES:
        page.select_option("#theme", theme)
        for view in VIEWS:
            show(page, view)
            wait_ready(page, view)
            result = page.evaluate("async () => (await axe.run(document)).violations")
            for v in result:
                if v["impact"] in ("serious", "critical"):
                    targets = [n["target"] for n in v["nodes"]][:3]
                    problems.append(
                        f"{theme}/{view}: {v['id']} ({v['impact']}): {v['help']} at {targets}"
                    )
            if theme != "light":
                page.screenshot(path=artifacts / f"{view}-{theme}.png", full_page=True)
    assert not problems, "\n".join(problems)


def test_the_keyboard_alone_reaches_every_control_with_visible_focus(page):
    missed, unseen = {}, set()
    for view in VIEWS:
        # Go to the view with the keyboard: its link in the navigation, then Enter.
        page.focus(f'.views a[data-view="{view}"]')
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#view-{view}:not([hidden])")
        wait_ready(page, view)
        expected = set(page.evaluate(TAB_STOPS))
        page.evaluate("document.activeElement && document.activeElement.blur()")
        reached = set()
        for _ in range(len(expected) + 15):
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUSED)
            if focused is None:
                continue
            reached.add(focused["key"])
            if not focused["visible"]:
                unseen.add(f"{view}: {focused['key']}")
        if expected - reached:
            missed[view] = sorted(expected - reached)
    assert not missed, f"not reachable with Tab: {missed}"
    assert not unseen, f"focused without a visible indicator: {sorted(unseen)}"
