"""Stored transcripts as documents (txt, SRT, WebVTT with <v Them>/<v Me>, JSON), via the caption writers."""

from __future__ import annotations

import json

from openhear.captions.cues import Cue
from openhear.captions.writers import FORMATS, render
from openhear.relay.store import Transcript

SPEAKER_LABELS = {"them": "Them", "me": "Me"}
"""How each speaker is named in exported documents (the WebVTT voice, the txt/SRT prefix)."""

EXPORT_FORMATS = FORMATS
"""Formats `export_transcript` writes."""


def transcript_cues(transcript: Transcript) -> list[Cue]:
    """One cue per stored entry, labelled with its speaker, in time order."""
    return [Cue(e.start_s, e.end_s, e.text, SPEAKER_LABELS[e.speaker]) for e in transcript.entries]


def export_transcript(transcript: Transcript, fmt: str) -> str:
    """The transcript in `fmt`; JSON also carries the conversation's id, title and start time."""
    text = render(transcript_cues(transcript), fmt)
    if fmt != "json":
        return text
    c = transcript.conversation
    doc = {"conversation": {"id": c.id, "title": c.title, "started_at": c.started_at}, **json.loads(text)}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
