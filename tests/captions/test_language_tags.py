"""Language tags in exports: a WebVTT `Language:` header when every cue is in one language, a
<lang> span per cue when they differ, and JSON language fields; the parsers still read them."""

from __future__ import annotations

import io
import json

import webvtt

from openhear.asr.events import FinalCaption, Word
from openhear.captions.cues import Cue, cues_from_finals
from openhear.captions.writers import render


def _final(text: str, start_s: float, language: str) -> FinalCaption:
    words = tuple(
        Word(f" {w}", start_s + i * 0.4, start_s + i * 0.4 + 0.3, 0.9, language)
        for i, w in enumerate(text.split())
    )
    return FinalCaption(text, words[0].start_s, words[-1].end_s, words)


def test_one_language_is_a_header_and_a_json_field():
    cues = cues_from_finals([_final("Bonjour à tous.", 0.0, "fr"), _final("Merci.", 3.0, "fr")])
    assert [c.language for c in cues] == ["fr", "fr"]
    vtt = render(cues, "vtt")
    assert vtt.startswith("WEBVTT\nLanguage: fr\n\n") and "<lang" not in vtt
    assert [c.text for c in webvtt.from_buffer(io.StringIO(vtt))] == ["Bonjour à tous.", "Merci."]
    doc = json.loads(render(cues, "json"))
    assert doc["language"] == "fr" and [s["language"] for s in doc["segments"]] == ["fr", "fr"]


def test_several_languages_are_spans_per_cue():
    finals = [_final("Hello everyone.", 0.0, "en"), _final("Hola a todos.", 3.0, "es")]
    cues = cues_from_finals(finals)
    vtt = render(cues, "vtt")
    assert "Language:" not in vtt
    assert "<lang en>Hello everyone.</lang>" in vtt and "<lang es>Hola a todos.</lang>" in vtt
    assert [c.text for c in webvtt.from_buffer(io.StringIO(vtt))] == [
        "Hello everyone.",
        "Hola a todos.",
    ]
    doc = json.loads(render(cues, "json"))
    assert doc["language"] is None and [s["language"] for s in doc["segments"]] == ["en", "es"]


def test_no_known_language_adds_nothing():
    cues = [Cue(0.0, 1.0, "Hello.")]
    assert render(cues, "vtt").startswith("WEBVTT\n\n")
    assert json.loads(render(cues, "json"))["language"] is None
