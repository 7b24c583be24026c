"""A revision on the captions page, with the caption socket played by the test (Playwright's
WebSocket routing) so the events are exactly those of docs/CAPTIONS.md: the line is rewritten in
place, screen readers are told once, and the export holds the revised text."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

FINALS = [
    {"type": "final", "text": "Ask.", "start_s": 1.0, "end_s": 1.3, "utterance": 1},
    {
        "type": "final",
        "text": "Knock, what your country",
        "start_s": 2.1,
        "end_s": 3.0,
        "utterance": 1,
    },
]
REVISION = {
    "type": "revision",
    "utterance": 1,
    "text": "Ask not what your country",
    "start_s": 1.0,
    "end_s": 3.0,
    "replaced": "Ask. Knock, what your country",
}
PUNCTUATION_ONLY = {**REVISION, "text": "Ask not, what your country", "replaced": REVISION["text"]}
LATER = {"type": "final", "text": "can do for you.", "start_s": 3.5, "end_s": 4.4, "utterance": 2}


def test_a_revision_rewrites_the_line_in_place_and_is_announced_once(page):
    sockets = []

    def handler(ws):
        sockets.append(ws)
        ws.on_message(
            lambda m: (
                ws.send(json.dumps({"type": "ready"}))
                if isinstance(m, str) and json.loads(m)["type"] == "start"
                else None
            )
        )

    page.route_web_socket("**/ws/captions", handler)
    page.click("#cap-start")
    page.wait_for_selector("text=Stop captions")
    page.wait_for_function("document.getElementById('cap-state').textContent.includes('Listening')")
    ws = sockets[0]
    for event in FINALS:
        ws.send(json.dumps(event))
    page.wait_for_function("document.getElementById('cap-finals').textContent.includes('Knock')")
    assert page.get_attribute("#cap-finals", "aria-relevant") == "additions"
    page.evaluate(
        """() => {
        window.line = document.querySelector('#cap-finals').firstElementChild;
        window.added = 0;
        new MutationObserver((ms) => ms.forEach((m) => { window.added += m.addedNodes.length; }))
            .observe(document.getElementById('cap-finals'), {childList: true, subtree: true});
    }"""
    )
    ws.send(json.dumps(REVISION))
    page.wait_for_function("document.getElementById('cap-finals').textContent.includes('Ask not')")
    # the fast pass had started a line at its invented full stop; the revision is one line, in
    # the element that held its first words, and nothing was added to the log (no second reading)
    assert page.inner_text("#cap-finals").strip() == "Ask not what your country"
    assert page.evaluate("document.querySelector('#cap-finals').children.length") == 1
    assert page.evaluate("window.line === document.querySelector('#cap-finals').firstElementChild")
    assert page.evaluate("window.added") == 0
    region = "[data-role=caption-corrections]"
    page.wait_for_function(f"document.querySelector('{region}').textContent.includes('Corrected')")
    assert page.text_content(region) == "Corrected: Ask not what your country"
    # a revision of punctuation only is not read out again
    page.evaluate(f"document.querySelector('{region}').textContent = ''")
    ws.send(json.dumps(PUNCTUATION_ONLY))
    page.wait_for_function("document.getElementById('cap-finals').textContent.includes('not,')")
    page.wait_for_timeout(100)
    assert page.text_content(region) == ""
    ws.send(json.dumps(LATER))
    page.wait_for_function("document.getElementById('cap-finals').textContent.includes('for you')")
    assert "Ask not, what your country can do for you." in page.inner_text("#cap-finals")
    # the export holds the revised text, one cue for the revised utterance
    page.select_option("#cap-format", "txt")
    with page.expect_download() as info:
        page.click("#cap-export")
    text = open(info.value.path(), encoding="utf-8").read()
    assert "Ask not, what your country" in text and "Knock" not in text, text
    page.click("#cap-start")  # stop
    page.wait_for_selector("text=Start captions")
