"""Sentences in other languages for espeak-ng, and the words of them a transcript must hold."""

from __future__ import annotations

SPEECH = {
    "fr": (
        "Bonjour, je voudrais un café et un croissant, s'il vous plaît.",
        ("bonjour", "café", "croissant", "plaît"),
    ),
    "de": (
        "Guten Tag, ich möchte bitte einen Kaffee und ein Stück Kuchen.",
        ("guten", "tag", "kaffee", "kuchen", "bitte"),
    ),
    "es": (
        "Buenos días, quiero un café con leche, por favor.",
        ("buenos", "días", "café", "leche", "favor"),
    ),
}
"""Per language: a sentence for espeak-ng, and words of it of which the transcript must hold at
least two (synthetic speech and a small model: not every word comes out right)."""


def words_of(text: str) -> set[str]:
    """The lower-case words of `text`, without punctuation."""
    return {w.strip(".,;:!?¿¡'\"").lower() for w in text.split()}
