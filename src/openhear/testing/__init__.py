"""Test helpers for code built on openhear (and for openhear's own tests).

- `assert_chunking_invariant`: a streaming processor gives the same output however its input is
  cut into blocks.
- `ScriptedTranscriber`: a stand-in speech recogniser that returns scripted words, so a
  captioner's policies can be tested in milliseconds without a model.
"""

from __future__ import annotations

from openhear.testing.chunking import assert_chunking_invariant, random_block_sizes
from openhear.testing.transcriber import ScriptedTranscriber, TranscribeCall

__all__ = [
    "ScriptedTranscriber",
    "TranscribeCall",
    "assert_chunking_invariant",
    "random_block_sizes",
]
