"""Throughput of the amplifier chain per ear on one core: how many times faster than real time.

    .venv/bin/python bench/amplify_speed.py [--quick]

Real speech from ../shared/data/speech-dev (the clean utterances, joined and resampled with soxr) at
65 dB SPL goes through one ear's chain (Bisgaard N3, NAL-R + WDRC, limiter) in blocks of a live size
(1 ms, 2.7 ms) and of a file size (4096 frames). The process is pinned to one core with one BLAS
thread; times are CPU time of this process (`time.process_time`), median of three runs. Rows are
`ROWS` entries: a label and a function that makes a fresh, unprepared per-ear Processor, so another
configuration (e.g. a noise suppressor in the slot) is one more entry.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from openhear.audio.resample import resample
from openhear.dsp.chain import EarChain, EarSettings
from openhear.dsp.levels import scaled_to_level
from openhear.fitting.audiogram import preset
from openhear.fitting.profile import fit_listener

SPEECH_DEV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "speech-dev"
RATES = (48000, 16000)
BLOCKS_MS = (1.0, 2.7)
FILE_BLOCK_FRAMES = 4096


def low_latency_chain() -> EarChain:
    """The default live chain for a moderate loss: no noise suppression."""
    return EarChain(EarSettings.from_profile(fit_listener(preset("N3")), "left"))


ROWS = {"low-latency chain (N3)": low_latency_chain}


def speech(seconds: float, rate: int) -> np.ndarray:
    """Clean dev speech, joined until `seconds` long, at `rate`, 65 dB SPL RMS."""
    rows = [
        json.loads(line)
        for line in (SPEECH_DEV / "manifest.jsonl").read_text().splitlines()
        if line.strip()
    ]
    parts, total = [], 0
    for row in (r for r in rows if r.get("kind") == "clean"):
        x, fs = sf.read(SPEECH_DEV / row["audio"], dtype="float32")
        x = resample(x if x.ndim == 1 else x.mean(axis=1), fs, rate)
        parts.append(x)
        total += len(x)
        if total >= seconds * rate:
            break
    return scaled_to_level(np.concatenate(parts)[: int(seconds * rate)], 65.0)


def times_real_time(make, x: np.ndarray, rate: int, block: int, repeats: int = 3) -> float:
    """Median speed over `repeats` runs of a fresh processor, in multiples of real time."""
    speeds = []
    for _ in range(repeats):
        proc = make()
        proc.prepare(rate, block)
        start = time.process_time()
        for i in range(0, len(x) - block + 1, block):
            proc.process(x[i : i + block])
        speeds.append(len(x) / rate / (time.process_time() - start))
    return statistics.median(speeds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s of speech instead of 60 s")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    seconds = 10.0 if args.quick else 60.0
    print(
        f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, pinned to one; "
        f"{seconds:.0f} s of speech per run, median of 3\n"
    )
    print("| processor (one ear) | rate | block | x real time |")
    print("|---|---|---|---|")
    for rate in RATES:
        x = speech(seconds, rate)
        blocks = [
            (f"{ms:g} ms ({round(ms * rate / 1000)})", round(ms * rate / 1000)) for ms in BLOCKS_MS
        ]
        blocks.append((f"{FILE_BLOCK_FRAMES} (file)", FILE_BLOCK_FRAMES))
        for label, make in ROWS.items():
            for block_label, block in blocks:
                speed = times_real_time(make, x, rate, block)
                print(f"| {label} | {rate // 1000} kHz | {block_label} | {speed:.0f} |", flush=True)


if __name__ == "__main__":
    main()
