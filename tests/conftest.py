"""Shared fixtures: the real speech copied into tests/data/speech, an isolated data directory, and a
stand-in sound card."""

from __future__ import annotations

import json
import os
import signal
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import settings
from standin_sounddevice import StandInCard

settings.register_profile("openhear", max_examples=40, deadline=None, derandomize=True)
settings.load_profile("openhear")
"""Property-based tests (hypothesis) draw the same examples on every run: a failure is
reproducible and CI never turns red by chance; no deadline, since the machines are shared."""

SPEECH_DIR = Path(__file__).parent / "data" / "speech"

REALTIME = (
    "browser/",
    "calls/",
    "live/",
    "scale/",
    "audio/test_system_audio.py",
    "audio/test_sources.py",
    "relay/test_session.py",
    "relay/test_replies.py",
    "relay/test_concurrent_first_use.py",
    "server/test_caption_socket.py",
    "server/test_conversation_echo.py",
    "server/test_amplifier_live.py",
    "server/test_sessions.py",
    "cli/test_converse_live.py",
    "cli/test_converse_cli.py",
    "cli/test_amplify_live.py",
    "cli/test_hearing_test_cli.py",
    "tts/test_ahead.py",
    "alerts/test_webhook.py",
)
"""The tests (folders and files under tests/) that run in real time: audio paced by a clock, a
browser, SIP calls, a PulseAudio daemon, or a wait bounded by a few seconds. They are marked
`realtime`: `scripts/test.sh` (what `make test` runs) gives them the machine's priority and runs the
offline rest beside them, niced, on the cores they leave idle."""


def pytest_configure(config):
    """Ctrl+C (SIGINT) reaches the processes the tests start: a shell ignores it in what it starts
    in the background (scripts/test.sh's offline run), and children inherit an ignored signal, so
    `openhear wyoming` would never see the Ctrl+C its test sends."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(items):
    """Marks the tests under REALTIME `realtime`."""
    root = Path(__file__).parent
    for item in items:
        where = Path(item.path).relative_to(root).as_posix()
        if where.startswith(REALTIME):
            item.add_marker(pytest.mark.realtime)


@dataclass(frozen=True)
class Utterance:
    """One recording from tests/data/speech/manifest.jsonl."""

    id: str
    path: Path
    text: str | None
    duration_s: float
    kind: str


def load_manifest() -> list[Utterance]:
    """Every recording bundled for tests (real speech; see tests/data/speech/SOURCES.md)."""
    rows = [
        json.loads(line)
        for line in (SPEECH_DIR / "manifest.jsonl").read_text().splitlines()
        if line.strip()
    ]
    return [
        Utterance(r["id"], SPEECH_DIR / r["audio"], r["text"], r["duration_s"], r["kind"])
        for r in rows
    ]


@pytest.fixture(scope="session")
def manifest() -> list[Utterance]:
    return load_manifest()


@pytest.fixture(scope="session")
def transcribed(manifest) -> list[Utterance]:
    """The 11 utterances that have reference transcripts."""
    return [u for u in manifest if u.text]


@pytest.fixture(scope="session")
def long_speech(manifest) -> Utterance:
    """An 11.7 s LibriSpeech utterance with its transcript."""
    return next(u for u in manifest if u.id == "librispeech_dev-clean_2412-153948-0000")


@pytest.fixture(scope="session")
def noise_clip(manifest) -> Utterance:
    """10 s of kitchen noise (no speech)."""
    return next(u for u in manifest if u.kind == "noise")


@pytest.fixture(scope="session")
def voice():
    """The bundled Piper voice (en_US-joe-medium), loaded once per test session."""
    from openhear.tts.piper import load_voice

    return load_voice()


@pytest.fixture(scope="session")
def transcriber():
    """The bundled Whisper tiny.en transcriber, loaded once per test session."""
    from openhear.asr.whisper import load_transcriber

    return load_transcriber()


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    """Every test gets its own empty user data directory."""
    d = tmp_path / "openhear-data"
    monkeypatch.setenv("OPENHEAR_DATA_DIR", str(d))
    return d


@pytest.fixture
def standin_card(monkeypatch):
    """Returns install(*args, make=StandInCard, **kwargs): `make(*args, **kwargs)` installed as the
    sounddevice module for this test (see tests/standin_sounddevice.py)."""

    def install(*args, make: type[StandInCard] = StandInCard, **kwargs) -> StandInCard:
        card = make(*args, **kwargs)
        monkeypatch.setattr("openhear.audio.devices.sounddevice", lambda: card)
        return card

    return install


@pytest.fixture
def make_read_only():
    """Returns make(dir): the directory (created if missing) made read-only, even
    for root (`chattr +i`)."""
    import os
    import shutil
    import subprocess

    made = []
    root = os.geteuid() == 0

    def make(d: Path) -> Path:
        d.mkdir(parents=True, exist_ok=True)
        if root and (
            not shutil.which("chattr")
            or subprocess.run(["chattr", "+i", str(d)], capture_output=True).returncode
        ):
            pytest.skip(
                "running as root on a filesystem without `chattr +i`: cannot make a read-only "
                "directory"
            )
        made.append(d)
        if not root:
            d.chmod(0o555)
        return d

    yield make
    for d in made:
        if root:
            subprocess.run(["chattr", "-i", str(d)], check=True)
        d.chmod(0o755)


BAD_SAMPLES = {"nan": np.nan, "+inf": np.inf, "-inf": -np.inf, "1e30": 1e30}
"""Values a damaged float file can hold that no sound makes (the input `audio.guard` silences)."""
BAD_SPEECH = {2.0: np.inf, 4.5: -np.inf, 6.9: np.nan, 9.0: 1e30, -0.0003: np.nan}
"""For `damaged_copy` of `long_speech`: one of each, and a NaN among the last 10 samples (which once
emptied the whole transcript)."""


@pytest.fixture
def damaged_copy(tmp_path):
    """Returns make(recording, {time_s: value}): two float WAV copies of the recording, as (damaged,
    zeroed) paths: one with the sample at each time (negative: from the end) set to the value, one
    with zeros there (what the damaged copy must sound like once it has entered openhear)."""

    def make(recording: Path, bad: dict[float, float]) -> tuple[Path, Path]:
        samples, rate = sf.read(recording, dtype="float32")
        damaged, zeroed = samples.copy(), samples.copy()
        for time_s, value in bad.items():
            at = round(time_s * rate) if time_s >= 0 else len(samples) + round(time_s * rate)
            damaged[at], zeroed[at] = value, 0.0
        paths = (
            tmp_path / f"damaged-{recording.stem}.wav",
            tmp_path / f"zeroed-{recording.stem}.wav",
        )
        for path, x in zip(paths, (damaged, zeroed), strict=True):
            sf.write(path, x, rate, subtype="FLOAT")
        return paths

    return make


LANGUAGES_MISSING = (
    "the languages extra is not installed (pip install 'openhear[languages]', or "
    "scripts/setup.sh --languages)"
)


@contextmanager
def data_dir_set(d: Path):
    """OPENHEAR_DATA_DIR set to `d` for a `with` block (for session fixtures, which cannot use
    monkeypatch)."""
    before = os.environ.get("OPENHEAR_DATA_DIR")
    os.environ["OPENHEAR_DATA_DIR"] = str(d)
    try:
        yield d
    finally:
        if before is None:
            del os.environ["OPENHEAR_DATA_DIR"]
        else:
            os.environ["OPENHEAR_DATA_DIR"] = before


@pytest.fixture(scope="session")
def multilingual_data_dir(tmp_path_factory) -> Path:
    """A data directory with the multilingual base model joined into it once (skips the test when
    the languages extra is not installed). Tests that load `--model base` themselves point
    OPENHEAR_DATA_DIR here, so the 145 MB join is done once per session."""
    from openhear.asr.models import WHISPER_BASE, joined_model, languages_installed

    if not languages_installed():
        pytest.skip(LANGUAGES_MISSING)
    with data_dir_set(tmp_path_factory.mktemp("multilingual-data")) as d:
        joined_model(WHISPER_BASE)
    return d


@pytest.fixture(scope="session")
def multilingual(multilingual_data_dir):
    """The multilingual Whisper base transcriber (languages identified per decode), loaded once."""
    from openhear.asr.whisper import load_transcriber

    with data_dir_set(multilingual_data_dir):
        return load_transcriber("base")


@pytest.fixture(scope="session")
def spoken(tmp_path_factory):
    """Returns say(voice, text): a 16 kHz WAV of `text` spoken by Debian's espeak-ng in `voice`
    ("fr", "de", "es"); skips the test when espeak-ng is not installed."""
    import shutil
    import subprocess

    import soxr

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt install espeak-ng; scripts/setup.sh --test)")
    d = tmp_path_factory.mktemp("espeak")

    def say(voice: str, text: str) -> Path:
        raw, path = d / f"{voice}-raw.wav", d / f"{voice}-{abs(hash(text))}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
        audio, rate = sf.read(raw, dtype="float32")
        sf.write(path, soxr.resample(audio, rate, 16000), 16000)
        return path

    return say
