"""The bundled Whisper transcriber, loaded once per test session, for the relay tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def transcriber():
    from openhear.asr.whisper import load_transcriber

    return load_transcriber()
