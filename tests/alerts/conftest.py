"""Fixtures for the sound-alert tests: the bundled YAMNet, and the real speech and kitchen noise of
tests/data/speech as backgrounds and negatives."""

from __future__ import annotations

import numpy as np
import pytest

from alerts.material import read_mono


@pytest.fixture(scope="session")
def yamnet():
    """The bundled YAMNet, loaded once per test session."""
    from openhear.alerts.yamnet import YamnetModel

    return YamnetModel()


@pytest.fixture(scope="session")
def speech(manifest) -> np.ndarray:
    """Every clean utterance of tests/data/speech back to back (72 s at 16 kHz, -23 dBFS RMS)."""
    return np.concatenate([read_mono(u.path) for u in manifest if u.kind == "clean"])


@pytest.fixture(scope="session")
def kitchen(noise_clip) -> np.ndarray:
    """10 s of real kitchen noise (dishes), at its recorded level."""
    return read_mono(noise_clip.path)


@pytest.fixture
def receiver():
    """A local HTTP server that records webhook posts (tests/alerts/receiver.py)."""
    from alerts.receiver import WebhookReceiver

    r = WebhookReceiver()
    yield r
    r.close()
