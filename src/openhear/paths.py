"""Where openhear keeps the user's data (phrases, transcripts, profiles)."""

import os
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "OPENHEAR_DATA_DIR"
"""Environment variable that overrides the data directory (used by tests and portable installs)."""

PACKAGE_DIR = Path(__file__).resolve().parent
SAMPLES_DIR = PACKAGE_DIR / "samples"
SAMPLE_SPEECH = SAMPLES_DIR / "speech_librispeech_2412-153948-0000.wav"
"""A real read-speech recording (LibriSpeech dev-clean, CC BY 4.0) bundled for demos."""


def data_dir() -> Path:
    """The user's data directory; not created here, so a read-only location can
    be reported cleanly."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("openhear", appauthor=False))
