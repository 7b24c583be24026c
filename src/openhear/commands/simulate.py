"""`openhear simulate`: hear a recording as a listener with a given hearing loss would (MSBG)."""

from __future__ import annotations

import argparse

from openhear.commands.fit import INPUT_LEVEL_RANGE_DB_SPL, check_db_spl


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "simulate",
        parents=[common],
        help="play a recording as someone with this hearing loss hears it",
        description="The MSBG hearing-loss simulator (pyclarity) per ear: let family members "
        "hear the difference, or compare a recording before and after `openhear amplify`.",
    )
    p.add_argument(
        "input", metavar="IN", help="audio file (stereo files: left channel to the left ear)"
    )
    p.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="where to write the stereo result"
    )
    p.add_argument(
        "--audiogram",
        required=True,
        metavar="FILE|PRESET",
        help="audiogram file or preset (N1..N7, S1..S3)",
    )
    p.add_argument(
        "--input-level",
        type=float,
        metavar="DB_SPL",
        help="scale the recording so its RMS is this level; default: take its samples as "
        "calibrated",
    )
    p.add_argument(
        "--calibration",
        type=float,
        default=100.0,
        metavar="DB_SPL",
        help="dB SPL of a 0 dBFS RMS signal (default 100)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from openhear.audio.outputs import check_audio_output
    from openhear.dsp.recordings import simulate_file
    from openhear.fitting.audiogram import load_listener
    from openhear.fitting.hearing_levels import MAX_DB_SPL_AT_0DBFS, MIN_DB_SPL_AT_0DBFS

    check_db_spl("--input-level", args.input_level, *INPUT_LEVEL_RANGE_DB_SPL)
    check_db_spl("--calibration", args.calibration, MIN_DB_SPL_AT_0DBFS, MAX_DB_SPL_AT_0DBFS)
    check_audio_output(args.output)  # before any work: a bad OUT fails at once
    listener = load_listener(args.audiogram)
    heard_by = listener.name or args.audiogram
    report = simulate_file(
        args.input,
        args.output,
        listener,
        args.calibration,
        args.input_level,
        {"comment": f"openhear simulate: as heard with hearing loss {heard_by} (MSBG)"},
    )
    if not args.quiet:
        print(
            f"wrote {args.output} ({report.duration_s:.1f} s, stereo, "
            f"as heard by {listener.name or 'the listener'})"
        )
    return 0
