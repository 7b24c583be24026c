"""The page's caption pane joins fragments into sentences by the rule of
openhear.asr.sentences (its twin static/sentences.js), and keeps the profanity setting."""

from __future__ import annotations

import pytest

from openhear.asr.sentences import join_fragments

pytestmark = [pytest.mark.slow, pytest.mark.browser]

FRAGMENTS = ["Ask not.", "what your country.", "can do for you.", "And so?", "my fellow.", "Yes."]


def test_the_pane_drops_invented_full_stops_as_the_library_does(page):
    lines = page.evaluate(
        """async (fragments) => {
          const { CaptionPane } = await import("/static/caption-pane.js");
          await (await import("/static/api.js")).pageSettings();  // the server's sentence marks
          const box = document.createElement("div");
          const list = document.createElement("div");
          const provisional = document.createElement("p");
          box.append(list, provisional);
          document.body.append(box);
          const pane = new CaptionPane(box, list, provisional, null);
          for (const text of fragments) pane.append(text);
          return [...list.children].map((line) => line.textContent);
        }""",
        FRAGMENTS,
    )
    assert lines == ["Ask not what your country can do for you.", "And so?", "my fellow.", "Yes."]
    assert " ".join(lines) == join_fragments(FRAGMENTS)


def test_the_profanity_setting_is_remembered(page):
    assert page.input_value("#cap-profanity") == "provisional"
    page.select_option("#cap-profanity", "all")
    page.reload()
    assert page.input_value("#cap-profanity") == "all"
