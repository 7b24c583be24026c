"""`openhear fit`: turn an audiogram (file or Bisgaard preset) into a fitting
profile, optionally charted."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING

from openhear.errors import UsageError

if TYPE_CHECKING:  # imported where used, so that `--help` and bad arguments answer at once
    from openhear.fitting.profile import FittingProfile


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "fit",
        parents=[common],
        help="make a fitting profile from an audiogram",
        description="Prescribe NAL-R gain with wide dynamic range compression per band and ear, "
        "and save the fitting profile that `openhear amplify` uses.",
    )
    p.add_argument(
        "--audiogram",
        required=True,
        metavar="FILE|PRESET",
        help="audiogram JSON (ours or Clarity's), CSV (frequency,left,right), or a Bisgaard "
        "preset N1..N7, S1..S3",
    )
    p.add_argument(
        "-o", "--output", required=True, metavar="PROFILE.json", help="where to write the profile"
    )
    p.add_argument(
        "--plot", metavar="CHART.png", help="also draw the audiogram and the prescribed gains"
    )
    add_adjustment_options(p)
    p.set_defaults(func=run)


def add_adjustment_options(p: argparse.ArgumentParser) -> None:
    """The slider options shared by `fit` and `amplify --audiogram`."""
    from openhear.fitting.adjustments import NOISE_KINDS, SLIDER_RANGES

    boost, tone, balance, strength, max_output = (
        SLIDER_RANGES[name]
        for name in ("boost_db", "tone_db", "balance_db", "noise_strength", "max_output_db_spl")
    )
    g = p.add_argument_group("adjustments")
    g.add_argument(
        "--boost", type=float, metavar="DB", help=f"overall gain added, {boost.describe()}"
    )
    g.add_argument(
        "--tone",
        type=float,
        metavar="DB",
        help=f"tilt, {tone.low:g} (darker) to {tone.high:g} (brighter) dB",
    )
    g.add_argument(
        "--balance",
        type=float,
        metavar="DB",
        help=f"{balance.low:g} (left louder) to {balance.high:g} (right louder) dB",
    )
    g.add_argument(
        "--noise",
        metavar="KIND",
        help=f"noise suppression: {', '.join(NOISE_KINDS[:-1])} or {NOISE_KINDS[-1]} (the neural "
        "ones add 20 to 40 ms)",
    )
    g.add_argument(
        "--noise-reduction",
        type=float,
        metavar=f"{strength.low:g}..{strength.high:g}",
        help="noise-reduction strength",
    )
    g.add_argument(
        "--max-output",
        type=float,
        metavar="DB_SPL",
        help=f"ceiling for output peaks, at most {max_output.high:g} dB SPL",
    )
    g.add_argument(
        "--flat",
        action="store_true",
        help="a flat, linear fitting instead of NAL-R (for measurements)",
    )
    g.add_argument(
        "--calibration",
        type=float,
        metavar="DB_SPL",
        help="dB SPL at the ear of a 0 dBFS RMS signal (default: a hearing check's, else 100)",
    )


INPUT_LEVEL_RANGE_DB_SPL = (0.0, 130.0)
"""`--input-level` of `amplify` and `simulate`: from silence to the threshold of pain."""


def check_db_spl(option: str, value: float | None, low: float, high: float) -> None:
    """A one-line usage error unless the dB SPL `value` of `option` (if given) is a number from
    `low` to `high`: NaN or 1e9 would otherwise reach the signal as NaN or overflow."""
    if value is not None and not (math.isfinite(value) and low <= value <= high):
        raise UsageError(f"{option} must be from {low:g} to {high:g} dB SPL, got {value:g}")


def adjusted(args: argparse.Namespace, profile: FittingProfile) -> FittingProfile:
    """The profile with the sliders given on the command line applied."""
    values = {
        "boost_db": args.boost,
        "tone_db": args.tone,
        "balance_db": args.balance,
        "noise_kind": args.noise,
        "noise_strength": args.noise_reduction,
        "max_output_db_spl": args.max_output,
    }
    values = {k: v for k, v in values.items() if v is not None}
    return profile.with_adjustments(**values) if values else profile


def profile_from_audiogram(args: argparse.Namespace) -> FittingProfile:
    """A fresh fitting of the --audiogram argument, with the command line's sliders."""
    from openhear.fitting.audiogram import load_listener
    from openhear.fitting.hearing_results import check_calibration_db_spl
    from openhear.fitting.profile import DEFAULT_DB_SPL_AT_0DBFS, fit_listener, flat_profile

    listener = load_listener(args.audiogram)
    # a hearing-check result carries the output calibration its tones were played with
    calibration = args.calibration
    if calibration is None:
        calibration = check_calibration_db_spl(args.audiogram) or DEFAULT_DB_SPL_AT_0DBFS
    make = flat_profile if args.flat else fit_listener
    return adjusted(args, make(listener, db_spl_at_0dbfs=calibration))


def run(args: argparse.Namespace) -> int:
    from openhear.fitting.profile import write_profile

    if args.plot:  # before any work or output: a chart that cannot be written is known at once
        from openhear.audio.outputs import check_output_file
        from openhear.fitting.chart import check_chart_path

        check_output_file(check_chart_path(args.plot))
    profile = profile_from_audiogram(args)
    write_profile(profile, args.output)
    if args.plot:
        from openhear.fitting.chart import draw_fitting_chart

        draw_fitting_chart(profile, args.plot)
    if not args.quiet:
        for side in ("left", "right"):
            gains = " ".join(f"{b.gain_db:4.0f}" for b in profile.ear(side).bands)
            print(f"{side:5s} gain at 65 dB SPL (dB): {gains}")
        centers = " ".join(f"{b.center_hz / 1000:4.2g}" for b in profile.left.bands)
        print(f"band centres (kHz):           {centers}")
        print(f"wrote {args.output}" + (f" and {args.plot}" if args.plot else ""))
    return 0
