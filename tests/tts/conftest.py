"""The bundled voice, loaded once per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def voice():
    from openhear.tts.piper import load_voice

    return load_voice()
