"""Peak memory of an `openhear` command, and long silent files to feed it (for the bounded-memory
tests of amplify and simulate)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf


def peak_rss_mb(argv: list[str]) -> tuple[int, float]:
    """Exit code and peak resident memory (MB) of `openhear ARGV`, run as the only child of a
    small Python process that reports its children's peak (so no other test's child counts)."""
    probe = (
        "import resource, subprocess, sys; "
        "rc = subprocess.run(sys.argv[1:]).returncode; "
        "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, sys.executable, "-m", "openhear", *argv],
        capture_output=True,
        text=True,
        check=True,
    )
    rc, kilobytes = done.stdout.split()[-2:]
    return int(rc), int(kilobytes) / 1024


def write_silence(
    path: Path, seconds: float, rate: int, channels: int, tail: np.ndarray | None = None
) -> None:
    """A long 16-bit file (format from the suffix) of silence, then `tail` (frames, channels) if
    given, written ten seconds at a time."""
    block = np.zeros((10 * rate, channels), np.float32)
    with sf.SoundFile(str(path), "w", rate, channels, subtype="PCM_16") as f:
        for start in range(0, round(seconds * rate), len(block)):
            f.write(block[: round(seconds * rate) - start])
        if tail is not None:
            f.write(tail)
