"""Accessibility is the product: axe-core finds nothing serious in any view and theme, and the
keyboard alone reaches every control of every view, each with a visible focus indicator."""

from __future__ import annotations

import pytest

from browser.conftest import axe_path, show

pytestmark = [pytest.mark.slow, pytest.mark.browser]

VIEWS = ("captions", "speak", "conversation", "calls", "profile", "hearing", "amplifier", "alerts")
THEMES = ("system", "light", "dark", "contrast")
READY = {
    "profile": "#gains table",
    "amplifier": "#amp-start[data-no-device]",
    "alerts": "#alert-sounds input",
}
"""What each view shows once its data has loaded."""

TAB_STOPS = """() => {
  // Every control a keyboard user must be able to reach in the header and the visible view.
  const selector = 'a[href], button:not([disabled]), input:not([disabled]), ' +
    'select:not([disabled]), textarea:not([disabled]), audio[controls], [tabindex="0"]';
  const inScope = (el) => el.closest('header') || el.closest('.view:not([hidden])');
  const visible = (el) => el.checkVisibility({ visibilityProperty: true });
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


FILL = """() => {
  // Every view as it looks in use: captions and a transcript with a reply not sent, the
  // speech bar with a queue, the lost-connection banner, a counter over the limit.
  const finals = document.getElementById('cap-finals');
  for (let i = 0; i < 12; i++) {
    const p = document.createElement('p');
    p.textContent = `Caption line ${i}: and so, my fellow Americans, ask not.`;
    finals.append(p);
  }
  document.getElementById('cap-provisional').textContent = 'what your country';
  const log = document.getElementById('conv-transcript');
  for (const [who, text] of [['them', 'How are you?'], ['me', 'Fine, thanks.']]) {
    const li = document.createElement('li');
    li.className = who;
    const s = document.createElement('span');
    s.className = 'speaker';
    s.textContent = who === 'me' ? 'Me:' : 'Them:';
    li.append(s, text);
    log.append(li);
  }
  const notSent = log.lastElementChild;
  notSent.classList.add('not-sent');
  const mark = document.createElement('span');
  mark.className = 'not-sent-mark';
  mark.textContent = ' (not sent)';
  const retry = document.createElement('button');
  retry.className = 'secondary not-sent-mark';
  retry.textContent = 'Retry';
  notSent.append(mark, retry);
  document.getElementById('conv-provisional').textContent = 'and you';
  document.getElementById('speech-bar').hidden = false;
  document.getElementById('speech-now').textContent = 'Could you say that again?';
  document.getElementById('speech-waiting').textContent = '1 waiting:';
  const q = document.createElement('li');
  q.textContent = 'Thank you.';
  document.getElementById('speech-queue').append(q);
  document.getElementById('banner').hidden = false;
  document.getElementById('banner-text').textContent =
    'The connection to the openhear server was lost. Trying again in 2 s.';
  for (const id of ['speak-text', 'reply-text']) {
    const t = document.getElementById(id);
    t.value = 'x'.repeat(5001);
    t.dispatchEvent(new Event('input'));
  }
}"""


def axe_problems(page, label: str) -> list[str]:
    problems = []
    for v in page.evaluate("async () => (await axe.run(document)).violations"):
        if v["impact"] in ("serious", "critical"):
            targets = [n["target"] for n in v["nodes"]][:3]
            problems.append(f"{label}: {v['id']} ({v['impact']}): {v['help']} at {targets}")
    return problems


@pytest.mark.parametrize("width", [1280, 375])
def test_axe_finds_no_serious_or_critical_violations_in_any_theme(page, artifacts, width):
    page.set_viewport_size({"width": width, "height": 900 if width > 400 else 812})
    base = page.url.split("#")[0]
    phrase = page.request.post(f"{base}api/phrases", data={"name": "again", "text": "Again."})
    try:
        check_filled_views(page, artifacts, width)
    finally:  # the live app is shared: leave no phrase behind
        page.request.delete(f"{base}api/phrases/{phrase.json()['number']}")


def check_filled_views(page, artifacts, width: int) -> None:
    page.reload()
    page.wait_for_selector("html[data-ready=true]")
    page.add_script_tag(path=str(axe_path()))
    page.evaluate("document.getElementById('display-menu').open = true")
    page.evaluate(FILL)
    problems = []
    for theme in THEMES:
        page.select_option("#theme", theme)
        for view in VIEWS:
            show(page, view)
            wait_ready(page, view)
            if view == "speak":
                page.wait_for_selector("#phrases button")
            problems += axe_problems(page, f"{width}px/{theme}/{view}")
            if theme != "light":
                page.screenshot(path=artifacts / f"{view}-{theme}-{width}.png", full_page=True)
    assert not problems, "\n".join(problems)


def test_the_skip_link_keeps_the_view_and_the_keyboard_speaks_stops_and_clears(page):
    page.goto(page.url.split("#")[0] + "#profile")
    page.reload()  # a fresh load on Hearing profile: the first Tab reaches the skip link
    page.wait_for_selector("html[data-ready=true]")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.is_visible("#view-profile") and page.is_hidden("#view-captions")
    assert page.evaluate("document.activeElement.id") == "main"
    # Speak with the keyboard alone: type, Enter; Escape stops; the text box keeps focus.
    page.focus('.views a[data-view="speak"]')
    page.keyboard.press("Enter")
    page.focus("#speak-text")
    page.keyboard.type("One. Two. Three. Four. Five. Six. Seven. Eight. Nine. Ten.")
    page.keyboard.press("Enter")
    page.wait_for_selector("#speech-bar:not([hidden])")
    page.keyboard.press("Escape")
    page.wait_for_selector("#speech-bar", state="hidden")
    # Clear asks before it clears the captions.
    page.focus('.views a[data-view="captions"]')
    page.keyboard.press("Enter")
    page.evaluate("document.getElementById('cap-finals').append('kept')")
    page.focus("#cap-clear")
    page.keyboard.press("Enter")
    assert page.inner_text("#cap-clear") == "Press again to clear"


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
