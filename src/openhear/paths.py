"""Where openhear keeps the user's data (phrases, transcripts, profiles), kept private to its owner.

Whatever the umask, a data directory openhear creates is 0700 and every file it keeps there is
0600 (SQLite gives its -wal and -shm files the database file's mode), so other local users can
read neither transcripts nor phrases nor the hearing profile.
"""

import os
import stat
import tempfile
from contextlib import suppress
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "OPENHEAR_DATA_DIR"
"""Environment variable that overrides the data directory (used by tests and portable installs)."""

PRIVATE_DIR_MODE = 0o700
"""Mode of a data directory openhear creates: only its owner may list or enter it."""
PRIVATE_FILE_MODE = 0o600
"""Mode of every file openhear keeps in the data directory: only its owner may read or write it."""

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


def private_dir(path: Path) -> Path:
    """`path`, created with any missing parents if need be; created here, it is 0700 whatever the
    umask. An existing directory keeps its mode (it may be one the user chose to share); the files
    in it are private anyway. Raises OSError if it cannot be created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=PRIVATE_DIR_MODE)
    except FileExistsError:
        if not path.is_dir():
            raise
        return path
    os.chmod(path, PRIVATE_DIR_MODE)  # mkdir's mode is masked by the umask; this one is not
    return path


def create_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 if it does not exist (atomically: of several processes
    racing, one creates it); an existing file is narrowed as `make_private` does. Raises OSError if
    it cannot be created."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    except FileExistsError:
        make_private(path)
        return
    os.chmod(path, PRIVATE_FILE_MODE)  # os.open's mode is masked by the umask; this one is not


def make_private(path: Path) -> None:
    """Take group and other permissions away from an existing file of ours (files written by older
    versions were 0644). A missing file, another user's file, or a read-only file system is left
    as it is: the database or file is still usable, and writing it reports what is wrong."""
    with suppress(OSError):
        st = os.stat(path)
        ours = st.st_uid == os.geteuid() if hasattr(os, "geteuid") else True
        if st.st_mode & 0o077 and ours:
            os.chmod(path, stat.S_IMODE(st.st_mode) & ~0o077)


def write_private_text(path: Path, text: str) -> None:
    """Write `text` as UTF-8 to `path` with mode 0600, atomically: it goes to a temporary file
    beside `path` that then replaces it, so a crash or a concurrent writer leaves the old file or
    the new one, never a mix. Raises OSError if it cannot be written."""
    path = Path(path)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.chmod(temporary, PRIVATE_FILE_MODE)  # mkstemp's 0600 is masked by the umask
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
