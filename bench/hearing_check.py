"""The loop, measured: simulated listeners take the hearing check, openhear is fitted from what it
measured, and that fitting is compared with the one their true audiogram gives.

    .venv/bin/python bench/hearing_check.py [--seeds 10] [--haspi 1] [--model typical]

Listeners: every Bisgaard preset (N1..N7, S1..S3) with random offsets per frequency and ear
(normal, 5 dB, cut at 10 dB; an 8 kHz threshold of its own), `--seeds` of each, answering the same
`HearingCheck` the terminal runs (`fitting.simulated_listener`: logistic psychometric function 8 dB
wide, 2 % guesses and lapses, 0.01 random presses per second). Circumaural headphones, relative
calibration (caps 75 to 80 dB HL).

Tables: threshold errors (measured - true, over frequencies within the check's range; also
against the psychometric midpoint), listening time and reliability flags per preset; the
prescribed gain for 50, 65 and 80 dB SPL speech per band, fitted from the measured audiogram minus
fitted from the true one; and with `--haspi K`, HASPI v2 (pyclarity, as bench/amplify_haspi.py
scores it: 44.1 kHz, RMS 1.0 = 100 dB SPL) of two CMU ARCTIC utterances at 55 and 65 dB SPL in
quiet through openhear's left-ear chain, fitted both ways, for the listener's true left ear, for
K listeners of each of N2, N3, N4, S2 and S3 (the amplify bench's listeners).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from openhear.fitting.audiogram import PRESET_NAMES, Listener  # noqa: E402
from openhear.fitting.audiometry import CheckOptions, CheckResult  # noqa: E402
from openhear.fitting.hearing_levels import Calibration  # noqa: E402
from openhear.fitting.profile import FittingProfile, fit_listener  # noqa: E402
from openhear.fitting.simulated_listener import (  # noqa: E402
    GUESSER,
    TYPICAL,
    ListenerModel,
    SimulatedListener,
    offset_listener,
    run_simulated_check,
)

CALIBRATION = Calibration()
SPEECH_LEVELS_DB_SPL = (50.0, 65.0, 80.0)
HASPI_LISTENERS = ("N2", "N3", "N4", "S2", "S3")
HASPI_UTTERANCES = ("cmu_arctic_aew_a0001", "cmu_arctic_aew_a0003")
HASPI_LEVELS_DB_SPL = (55.0, 65.0)
MODELS = {"typical": TYPICAL, "guesser": GUESSER}


@dataclasses.dataclass(frozen=True)
class Run:
    preset: str
    seed: int
    truth: Listener
    simulated: SimulatedListener
    result: CheckResult


def run_population(seeds: int, model: ListenerModel) -> list[Run]:
    runs = []
    for preset in PRESET_NAMES:
        for seed in range(seeds):
            truth = offset_listener(preset, seed)
            simulated = SimulatedListener(truth, model, seed=seed)
            result = run_simulated_check(
                simulated, CALIBRATION.max_level_db_hl, CheckOptions(seed=seed)
            )
            runs.append(Run(preset, seed, truth, simulated, result))
    return runs


def threshold_table(runs: list[Run]) -> str:
    lines = [
        "| preset | ears | frequencies | within 5 dB | within 10 dB | mean error | largest "
        "| vs midpoint: within 5 dB, mean | beyond cap: no response | time median (max) "
        "| flagged |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    groups = {p: [r for r in runs if r.preset == p] for p in PRESET_NAMES}
    groups["all"] = runs
    for name, group in groups.items():
        errors, midpoint, beyond, no_response = [], [], 0, 0
        for run in group:
            if not run.result.complete:
                continue
            for side in ("left", "right"):
                for t in run.result.ear(side).thresholds:
                    truth = run.simulated.threshold_db_hl(side, t.frequency_hz)
                    if truth > t.max_level_db_hl:
                        beyond += 1
                        no_response += t.level_db_hl is None
                        continue
                    errors.append(t.audiogram_db_hl - truth)
                    midpoint.append(
                        t.audiogram_db_hl - run.simulated.midpoint_db_hl(side, t.frequency_hz)
                    )
        e, m = np.array(errors), np.array(midpoint)
        times = [r.result.elapsed_s for r in group]
        flagged = sum(not r.result.reliable for r in group)
        beyond_text = f"{no_response}/{beyond}" if beyond else "-"
        accuracy = (
            f"{np.mean(np.abs(e) <= 5):.1%} | {np.mean(np.abs(e) <= 10):.1%} | {e.mean():+.1f} "
            f"| {np.abs(e).max():.1f} | {np.mean(np.abs(m) <= 5):.1%}, {m.mean():+.1f}"
            if len(e)
            else "- | - | - | - | -"
        )
        lines.append(
            f"| {name} | {2 * len(group)} | {len(e)} | {accuracy} | {beyond_text} "
            f"| {_minutes(np.median(times))} ({_minutes(max(times))}) | {flagged} |"
        )
    return "\n".join(lines)


def _minutes(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


def retest_line(runs: list[Run]) -> str:
    pairs = [
        r.result.ear(side).retest_db_hl[:2]
        for r in runs
        if r.result.complete
        for side in ("left", "right")
    ]
    measured = [(a, b) for a, b in pairs if a is not None and b is not None]
    agree = np.mean([abs(a - b) <= 5 for a, b in measured])
    third = sum(len(r.result.ear(s).retest_db_hl) == 3 for r in runs for s in ("left", "right"))
    return (
        f"1 kHz test-retest within 5 dB: {agree:.1%} of {len(measured)} ears "
        f"(a third measurement in {third})"
    )


def gain_table(runs: list[Run]) -> str:
    """Prescribed gain from the measured audiogram minus from the true one, per preset."""
    lines = [
        "| preset | speech | mean abs difference (dB) | largest (dB) | mean difference (dB) |",
        "|---|---|---|---|---|",
    ]
    rows: dict[tuple[str, float], list[np.ndarray]] = {}
    for run in runs:
        if not run.result.complete:
            continue
        true_fit, measured_fit = fit_listener(run.truth), fit_listener(run.result.listener())
        for side in ("left", "right"):
            for level in SPEECH_LEVELS_DB_SPL:
                d = measured_fit.ear(side).gains_db_for_speech(level) - true_fit.ear(
                    side
                ).gains_db_for_speech(level)
                for key in ((run.preset, level), ("all", level)):
                    rows.setdefault(key, []).append(d)
    for (preset, level), diffs in sorted(rows.items(), key=lambda kv: (kv[0][0] == "all", kv[0])):
        d = np.concatenate(diffs)
        lines.append(
            f"| {preset} | {level:g} dB SPL | {np.mean(np.abs(d)):.1f} | {np.abs(d).max():.1f} "
            f"| {d.mean():+.1f} |"
        )
    return "\n".join(lines)


def haspi_of(profile: FittingProfile, truth: Listener, clean: np.ndarray, fs: int) -> float:
    """HASPI v2 of `clean` through the left ear chain of `profile`, for the true left ear."""
    from clarity.evaluator.haspi import haspi_v2
    from clarity.utils.audiogram import Audiogram

    from openhear.dsp.chain import EarChain, EarSettings

    chain = EarChain(EarSettings.from_profile(profile, "left"))
    block = 1024
    chain.prepare(fs, block)
    x = np.concatenate([clean, np.zeros(fs // 4)]).astype(np.float32)
    y = np.concatenate(
        [chain.process(x[i : i + block]).copy() for i in range(0, len(x), block)]
    ).astype(np.float64)
    y = y[chain.latency_frames : chain.latency_frames + len(clean)]
    ear = truth.left
    audiogram = Audiogram(
        levels=np.array(ear.levels_db_hl, float), frequencies=np.array(ear.frequencies_hz, float)
    )
    score, _ = haspi_v2(clean, fs, y, fs, audiogram, level1=100.0)
    return float(score)


def haspi_table(runs: list[Run], per_preset: int) -> str:
    from amplify_haspi import FS, at_level, load

    chosen = [r for p in HASPI_LISTENERS for r in [r for r in runs if r.preset == p][:per_preset]]
    lines = [
        "| listener | level | HASPI, fit from true audiogram | from measured | difference |",
        "|---|---|---|---|---|",
    ]
    all_diffs = []
    for run in chosen:
        if not run.result.complete:
            continue
        true_fit, measured_fit = fit_listener(run.truth), fit_listener(run.result.listener())
        for level in HASPI_LEVELS_DB_SPL:
            a, b = [], []
            for utterance in HASPI_UTTERANCES:
                clean = at_level(load(utterance), level)
                a.append(haspi_of(true_fit, run.truth, clean, FS))
                b.append(haspi_of(measured_fit, run.truth, clean, FS))
            diff = float(np.mean(b) - np.mean(a))
            all_diffs.append(diff)
            lines.append(
                f"| {run.truth.name} | {level:g} dB SPL | {np.mean(a):.3f} | {np.mean(b):.3f} "
                f"| {diff:+.3f} |"
            )
    d = np.array(all_diffs)
    lines.append(
        f"| mean of {len(d)} | | | | {d.mean():+.3f} (mean absolute {np.abs(d).mean():.3f}, "
        f"worst {d.min():+.3f}) |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="listeners per preset (default 10)")
    parser.add_argument(
        "--haspi",
        type=int,
        default=1,
        metavar="K",
        help="HASPI for K listeners per preset (0: off)",
    )
    parser.add_argument("--model", choices=sorted(MODELS), default="typical")
    args = parser.parse_args(argv)
    t0 = time.time()
    runs = run_population(args.seeds, MODELS[args.model])
    print(
        f"{len(runs)} simulated listeners ({args.model}), {CALIBRATION.headphone} headphones, "
        f"relative calibration; {time.time() - t0:.1f} s; {platform.machine()}, "
        f"{os.cpu_count()} cores\n"
    )
    print("Thresholds (measured - true; frequencies within the check's range)\n")
    print(threshold_table(runs))
    print("\n" + retest_line(runs))
    print("\nPrescribed gain: fitted from the measured audiogram minus fitted from the true one\n")
    print(gain_table(runs))
    if args.haspi:
        t1 = time.time()
        table = haspi_table(runs, args.haspi)
        print(f"\nHASPI v2, quiet, left ear ({time.time() - t1:.0f} s)\n")
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
