"""Does openhear make speech more intelligible for a listener with hearing loss? HASPI v2 says.

    .venv/bin/python bench/amplify_haspi.py [--quick] [--processes N]
        [--listeners N2 N4 ...] [--utterances ID ...] [--noises ID ...] [--voicebank ID ...]

For Bisgaard standard listeners (the same audiogram on both ears, so one ear is scored), the
transcribed clean speech of ../shared/data/speech-dev is presented at 55 and 65 dB SPL, in quiet and
mixed with the dev noises (dishes, exercise bike; a different seeded segment per utterance) at +5
and 0 dB SNR, plus the VoiceBank-DEMAND noisy files (their clean file set to the presentation level,
the noisy one scaled alike). Each mixture goes through every system, the system's reported delay
is removed, and HASPI v2 (pyclarity, evaluation only) scores the output against the clean speech
for the listener's audiogram, as the Clarity evaluation does: 44.1 kHz, signal RMS 1.0 = 100 dB SPL,
level1=100. Levels are plain RMS over the utterance.

Systems: unprocessed; the Clarity baseline (NAL-R nfir 220, the recipe compressor, tanh soft clip);
DeepFilterNet3 limited to 12 dB followed by the baseline (reference); openhear's low-latency chain;
openhear with noise suppression; openhear with its SNR-adaptive limit (added 2026-12-02: a sixth
system, so the times below grow by about a fifth). A second table gives, per cell, the item-by-item
differences the issue's targets are judged by (openhear and openhear + DFN3 against the baseline,
openhear + DFN3 against DFN3 + baseline) with 95 % confidence intervals of their means.

--quick: listeners N3 and S2 at both levels, two CMU ARCTIC utterances (aew a0001 and a0003) in
quiet and with the dishes noise, and one VoiceBank-DEMAND file (p287_002): 28 items, 102 s of audio
per system, about 4 minutes of wall time on two idle cores (HASPI costs about 0.5 s per second of
audio). The full run (every listener, level, transcribed utterance and both noises: 610 items; 67
minutes on two processes) is the default.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import time
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import soundfile as sf
from haspi.systems import SYSTEMS, throughput_table  # bench/, the script's own folder

ROOT = Path(__file__).resolve().parents[1]

SHARED = ROOT.parent / "shared" / "data"
DEV = SHARED / "speech-dev"
FS = 44100
CALIBRATION_DB_SPL = 100.0
"""Clarity's convention: a signal RMS of 1.0 is 100 dB SPL."""
LISTENERS = ("N2", "N3", "N4", "S2", "S3")
LEVELS_DB_SPL = (55.0, 65.0)
SNRS_DB = (5.0, 0.0)
NOISES = ("noise_speechcommands_doing_the_dishes", "noise_speechcommands_exercise_bike")
PAD_S = 0.25
"""Zeros appended to every input so that delayed outputs still hold the whole utterance."""
QUICK = {
    "listeners": ("N3", "S2"),
    "utterances": ("cmu_arctic_aew_a0001", "cmu_arctic_aew_a0003"),
    "noises": NOISES[:1],
    "voicebank": ("voicebank_demand_p287_002_noisy",),
}


@dataclass(frozen=True)
class Item:
    """One scored presentation: a listener hears one utterance in one condition at one level."""

    listener: str
    level_db_spl: float
    condition: str
    """"quiet", "+5 dB SNR", "0 dB SNR" or "VoiceBank-DEMAND"."""
    clean_id: str
    noise_id: str | None = None
    snr_db: float | None = None
    noise_seed: int = 0


def manifest() -> dict[str, dict]:
    rows = [
        json.loads(line)
        for line in (DEV / "manifest.jsonl").read_text().splitlines()
        if line.strip()
    ]
    return {r["id"]: r for r in rows}


@cache
def load(audio_id: str) -> np.ndarray:
    """A dev recording at 44.1 kHz, float64."""
    import soxr

    x, sr = sf.read(DEV / manifest()[audio_id]["audio"], dtype="float64")
    return soxr.resample(x, sr, FS, quality="VHQ") if sr != FS else x


def at_level(x: np.ndarray, level_db_spl: float) -> np.ndarray:
    return x * 10 ** ((level_db_spl - CALIBRATION_DB_SPL) / 20) / np.sqrt(np.mean(x**2))


def signals(item: Item) -> tuple[np.ndarray, np.ndarray]:
    """(clean reference, mixture presented to the systems), both at the item's level."""
    if item.condition == "VoiceBank-DEMAND":
        noisy_id = item.clean_id
        clean = load(manifest()[noisy_id]["clean_ref"])
        noisy = load(noisy_id)
        scale = 10 ** ((item.level_db_spl - CALIBRATION_DB_SPL) / 20) / np.sqrt(np.mean(clean**2))
        return clean * scale, noisy * scale
    clean = at_level(load(item.clean_id), item.level_db_spl)
    if item.noise_id is None:
        return clean, clean.copy()
    noise = load(item.noise_id)
    start = np.random.default_rng(item.noise_seed).integers(0, len(noise) - len(clean))
    segment = noise[start : start + len(clean)]
    return clean, clean + at_level(segment, item.level_db_spl - item.snr_db)


def items(quick: bool, **chosen) -> list[Item]:
    """The items of the full or quick set; a non-empty `chosen` list (listeners, utterances, noises,
    voicebank) replaces that part of the set."""
    rows = manifest()
    listeners = chosen.get("listeners") or (QUICK["listeners"] if quick else LISTENERS)
    utterances = chosen.get("utterances") or (
        QUICK["utterances"] if quick else [k for k, r in rows.items() if r.get("text")]
    )
    noises = chosen.get("noises") or (QUICK["noises"] if quick else NOISES)
    voicebank = chosen.get("voicebank") or (
        QUICK["voicebank"] if quick else [k for k, r in rows.items() if r["kind"] == "noisy"]
    )
    out = []
    for listener in listeners:
        for level in LEVELS_DB_SPL:
            for utt in utterances:
                out.append(Item(listener, level, "quiet", utt))
                for noise in noises:
                    for snr in SNRS_DB:
                        seed = zlib.crc32(
                            f"{utt} {noise} {snr}".encode()
                        )  # the same segment in quick and full runs
                        out.append(
                            Item(
                                listener,
                                level,
                                f"{snr:+.0f} dB SNR".replace("+0", "0"),
                                utt,
                                noise,
                                snr,
                                seed,
                            )
                        )
            out += [Item(listener, level, "VoiceBank-DEMAND", v) for v in voicebank]
    return out


def score(item: Item) -> tuple[Item, dict[str, float], dict[str, int]]:
    """HASPI of every system for one item, and the alignment error (samples) measured in quiet."""
    from clarity.evaluator.haspi import haspi_v2
    from haspi.systems import clarity_audiogram, lag_samples

    clean, mixture = signals(item)
    padded = np.concatenate([mixture, np.zeros(int(PAD_S * FS))])
    audiogram = clarity_audiogram(item.listener)
    scores, misalignment = {}, {}
    for name, system in SYSTEMS.items():
        y, delay = system(padded, item.listener, FS)
        y = y[delay : delay + len(clean)]
        scores[name], _ = haspi_v2(clean, FS, y, FS, audiogram, level1=CALIBRATION_DB_SPL)
        if item.condition == "quiet":
            misalignment[name] = lag_samples(y, clean, FS // 100)
    return item, scores, misalignment


CONDITION_ORDER = {"quiet": 0, "+5 dB SNR": 1, "0 dB SNR": 2, "VoiceBank-DEMAND": 3}
PAIRS = (
    ("openhear", "Clarity baseline"),
    ("openhear + DFN3 12 dB", "Clarity baseline"),
    ("openhear + DFN3 12 dB", "DFN3 12 dB + baseline"),
)
"""(system, reference) pairs whose per-item differences the targets are judged by."""


def cells(results, systems: list[str]) -> dict[tuple, dict[str, np.ndarray]]:
    """Scores per (listener or "all", level, condition) cell and system, in the tables' row order;
    the items of a cell are in the same order for every system, so differences pair item by item."""
    grouped: dict[tuple, dict[str, list[float]]] = {}
    for item, scores, _ in results:
        for key in (
            (item.listener, item.level_db_spl, item.condition),
            ("all", item.level_db_spl, item.condition),
        ):
            cell = grouped.setdefault(key, {s: [] for s in systems})
            for s in systems:
                cell[s].append(scores[s])
    keys = sorted(grouped, key=lambda k: (k[0] == "all", k[0], k[1], CONDITION_ORDER[k[2]]))
    return {k: {s: np.array(v) for s, v in grouped[k].items()} for k in keys}


def _table_head(columns: list[str]) -> list[str]:
    """The markdown header lines of a per-cell table with these value columns."""
    head = ["listener", "level", "condition", "n"] + columns
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]


def _row_head(key: tuple, n: int) -> str:
    return f"| {key[0]} | {key[1]:.0f} dB SPL | {key[2]} | {n} | "


def table(results, systems: list[str]) -> str:
    """Mean HASPI per cell and system, the best of each row in bold."""
    lines = _table_head(systems)
    for key, c in cells(results, systems).items():
        means = [c[s].mean() for s in systems]
        vals = [f"**{m:.3f}**" if m == max(means) else f"{m:.3f}" for m in means]
        lines.append(_row_head(key, len(c[systems[0]])) + " | ".join(vals) + " |")
    return "\n".join(lines)


def paired_table(results, pairs=PAIRS) -> str:
    """Per cell, the mean item-by-item difference of each pair with its 95 % confidence interval
    (t); "below" marks an interval wholly under 0, "above" one wholly over it."""
    from scipy.stats import t

    systems = sorted({s for pair in pairs for s in pair})
    lines = _table_head([f"{a} vs {b}" for a, b in pairs])
    for key, c in cells(results, systems).items():
        vals = []
        for a, b in pairs:
            d = c[a] - c[b]
            half = (
                t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else np.inf
            )
            verdict = " below" if d.mean() + half < 0 else " above" if d.mean() - half > 0 else ""
            vals.append(
                f"{d.mean():+.3f} ({d.mean() - half:+.3f} to {d.mean() + half:+.3f}){verdict}"
            )
        lines.append(_row_head(key, len(c[systems[0]])) + " | ".join(vals) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="the stated subset (a few minutes)")
    p.add_argument("--processes", type=int, default=2, help="worker processes (default 2)")
    for part in ("listeners", "utterances", "noises", "voicebank"):
        p.add_argument(
            f"--{part}", nargs="+", metavar="ID", help=f"replace the set's {part} with these"
        )
    args = p.parse_args(argv)
    unknown = set(args.utterances or []) | set(args.noises or []) | set(args.voicebank or [])
    unknown -= set(manifest())
    unknown |= set(args.listeners or []) - set(LISTENERS)
    if unknown:
        p.error(f"unknown listener or dev recording: {', '.join(sorted(unknown))}")
    work = items(
        args.quick,
        listeners=args.listeners,
        utterances=args.utterances,
        noises=args.noises,
        voicebank=args.voicebank,
    )
    audio_s = sum(len(signals(i)[0]) for i in work) / FS
    print(
        f"{len(work)} items, {audio_s:.0f} s of audio per system, {len(SYSTEMS)} systems, "
        f"{args.processes} processes",
        flush=True,
    )
    t0 = time.time()
    results = []
    with multiprocessing.get_context("fork").Pool(
        args.processes, initializer=os.nice, initargs=(5,)
    ) as pool:
        for k, r in enumerate(pool.imap_unordered(score, work), 1):
            results.append(r)
            if k % max(1, len(work) // 10) == 0:
                print(f"  {k}/{len(work)} items, {time.time() - t0:.0f} s", flush=True)
    systems = list(SYSTEMS)
    print(
        f"\nMean HASPI v2 per cell ({time.time() - t0:.0f} s; "
        f"{platform.machine()}, {os.cpu_count()} cores; bold: best in the row)\n"
    )
    print(table(results, systems))
    print(
        "\nDifferences the targets are judged by (per item, paired; mean and 95 % confidence "
        "interval)\n"
    )
    print(paired_table(results))
    worst = {s: max((abs(m[s]) for _, _, m in results if s in m), default=0) for s in systems}
    print(
        "\nLargest misalignment left after removing the reported delay (quiet items, "
        "cross-correlation, samples): " + ", ".join(f"{s} {v}" for s, v in worst.items())
    )
    print("\n" + throughput_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
