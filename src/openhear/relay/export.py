"""Stored transcripts as documents (txt, SRT, WebVTT with <v Them>/<v Me>, JSON), via
the caption writers."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import groupby

from openhear.asr.events import FinalCaption
from openhear.captions.cues import Cue, cues_from_finals, retime
from openhear.captions.writers import FORMATS, one_line, render
from openhear.relay.store import Entry, Transcript

SPEAKER_LABELS = {"them": "Them", "me": "Me"}
"""How each speaker is named in exported documents (the WebVTT voice, the txt/SRT prefix)."""

EXPORT_FORMATS = FORMATS
"""Formats `export_transcript` writes."""

UNSPOKEN_CHARS_PER_S = 15.0
"""Speaking rate assumed for a reply that was stored but never spoken (no voice played it, so its
stored end is its start): about 160 words a minute, a usual speaking pace."""


def transcript_cues(transcript: Transcript) -> list[Cue]:
    """Readable cues labelled with their speaker, in time order.

    Final captions are stored a few words at a time, as they are committed; here each speaker's
    consecutive entries go through the cue builder, which joins them into sentences and cuts
    those into subtitle cues, so a turn reads as "If the reader will excuse me." rather than
    three fragments. Where the two speakers overlap, a cue ends when the next one starts, except
    that both speakers starting at once overlap (players show both; a cue cut to no time at all
    they never show). Replies that were never spoken get the time they would take to say
    (`_timed`).
    """
    cues: list[Cue] = []
    for speaker, run in groupby(_timed(transcript.entries), key=lambda e: e.speaker):
        finals = [FinalCaption(e.text, e.start_s, e.end_s) for e in run]
        cues += cues_from_finals(finals, speaker=SPEAKER_LABELS[speaker])
    cues.sort(key=lambda c: c.start_s)  # as retime orders them (a stable sort)
    return [t if t.end_s > t.start_s else c for c, t in zip(cues, retime(cues), strict=True)]


def _timed(entries: Iterable[Entry]) -> Iterator[Entry]:
    """The entries, each reply that was never spoken (end = start) given the time it would take
    to say at UNSPOKEN_CHARS_PER_S, after the reply before it (a voice says them in turn)."""
    replies_end_s = 0.0
    for e in entries:
        if e.speaker == "me":
            if e.end_s <= e.start_s:
                start_s = max(e.start_s, replies_end_s)
                e = replace(e, start_s=start_s, end_s=start_s + len(e.text) / UNSPOKEN_CHARS_PER_S)
            replies_end_s = max(replies_end_s, e.end_s)
        yield e


def export_transcript(transcript: Transcript, fmt: str) -> str:
    """The transcript in `fmt`; JSON also carries the conversation's id, title and start time."""
    text = render(transcript_cues(transcript), fmt)
    if fmt != "json":
        return text
    c = transcript.conversation
    doc = {
        "conversation": {"id": c.id, "title": one_line(c.title), "started_at": c.started_at},
        **json.loads(text),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
