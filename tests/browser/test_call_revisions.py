"""A revision in the Calls view, with the call's events played by the test (Playwright's request
routing answers the first GET /api/calls; later polls reach the server): the fast text of the
other person's line is rewritten in place, as the saved call holds it (the server side:
tests/server/test_call_revisions.py)."""

from __future__ import annotations

import json
import re

import pytest

from .conftest import show

pytestmark = [pytest.mark.slow, pytest.mark.browser]

EVENTS = [
    {"type": "line", "speaker": "me", "text": "Hello, who is it?", "start_s": 0.0, "utterance": 0},
    {"type": "line", "speaker": "them", "text": "Ask.", "start_s": 1.0, "utterance": 1},
    {
        "type": "line",
        "speaker": "them",
        "text": "Knock, what your country",
        "start_s": 2.1,
        "utterance": 1,
    },
    {
        "type": "revision",
        "utterance": 1,
        "text": "Ask not what your country",
        "start_s": 1.0,
        "end_s": 3.0,
        "replaced": "Ask. Knock, what your country",
    },
]


def test_a_revision_rewrites_the_call_line_in_place(page):
    snapshot = {
        "state": "connected",
        "mode": "system",
        "remote": "",
        "codec": "",
        "conversation_id": 1,
        "sip": {"available": False, "install": "", "port": None},
        "events": [{"seq": i + 1, **e} for i, e in enumerate(EVENTS)],
        "next": len(EVENTS),
    }
    answered = []

    def calls(route):
        if answered:
            route.continue_()
        else:
            answered.append(True)
            route.fulfill(content_type="application/json", body=json.dumps(snapshot))

    page.route(re.compile(r"/api/calls\?"), calls)
    show(page, "calls")
    page.wait_for_function(
        "document.getElementById('call-transcript').textContent.includes('Ask not')"
    )
    text = page.inner_text("#call-transcript")
    assert "Ask not what your country" in text and "Knock" not in text, text
    assert "Hello, who is it?" in text
    assert page.locator("#call-transcript > *").count() == 2  # my line, and theirs: one line
