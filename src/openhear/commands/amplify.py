"""`openhear amplify`: hearing-aid processing of a recording (stereo out) or live,
microphone to headphones."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from openhear.commands.fit import (
    INPUT_LEVEL_RANGE_DB_SPL,
    add_adjustment_options,
    adjusted,
    check_db_spl,
    profile_from_audiogram,
)
from openhear.errors import UsageError

if TYPE_CHECKING:  # imported where used, so that `--help` and bad arguments answer at once
    from openhear.fitting.profile import FittingProfile


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "amplify",
        parents=[common],
        help="amplify a recording or the microphone, fitted to your audiogram",
        description="Per-ear hearing-aid processing (filterbank, compression, gain, noise "
        "suppression, limiter) from a fitting profile, on a file or live.",
    )
    p.add_argument("input", nargs="?", metavar="IN", help="audio file to process (not with --live)")
    p.add_argument("-o", "--output", metavar="OUT", help="where to write the stereo result")
    p.add_argument(
        "--input-level",
        type=float,
        metavar="DB_SPL",
        help="scale the recording so its RMS is this level (e.g. 65 for conversational speech); "
        "default: take its samples as calibrated",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--profile", metavar="PROFILE.json", help="fitting profile from `openhear fit`"
    )
    source.add_argument(
        "--audiogram", metavar="FILE|PRESET", help="fit this audiogram on the fly (e.g. N3)"
    )
    live = p.add_argument_group("live")
    live.add_argument(
        "--live", action="store_true", help="microphone to headphones; type commands to adjust"
    )
    live.add_argument(
        "--input-device", metavar="DEV", help="microphone index or name (see `openhear devices`)"
    )
    live.add_argument("--output-device", metavar="DEV", help="headphones index or name")
    live.add_argument(
        "--rate", type=int, metavar="HZ", help="sample rate (default: the output device's)"
    )
    live.add_argument(
        "--block",
        type=int,
        default=64,
        metavar="FRAMES",
        help="frames per audio block (default 64)",
    )
    live.add_argument("--duration", type=float, metavar="S", help="stop after this many seconds")
    add_adjustment_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.live == bool(args.input):
        raise UsageError("give an input file with -o OUT, or --live (not both)")
    if args.input and not args.output:
        raise UsageError("amplify needs -o OUT for the result")
    if args.live and not 16 <= args.block <= 4096:
        raise UsageError(f"--block {args.block} is not usable (16 to 4096 frames)")
    if args.duration is not None and (not args.live or not args.duration > 0):
        raise UsageError("--duration needs --live and a positive number of seconds")
    check_db_spl("--input-level", args.input_level, *INPUT_LEVEL_RANGE_DB_SPL)
    if args.output and not args.live:
        from openhear.audio.outputs import check_audio_output

        check_audio_output(args.output)  # before any work: a bad OUT fails at once
    if args.profile:
        from openhear.fitting.profile import read_profile

        profile = adjusted(args, read_profile(args.profile))
    else:
        profile = profile_from_audiogram(args)
    if args.live:
        return _live(args, profile)
    from openhear.dsp.recordings import amplify_file

    listener = profile.listener.name or "listener"
    report = amplify_file(
        args.input,
        args.output,
        profile,
        args.input_level,
        {"comment": f"openhear amplify ({profile.prescription}, {listener})"},
    )
    if not args.quiet:
        from openhear.dsp.levels import level_text

        cal = profile.db_spl_at_0dbfs
        print(
            f"input {level_text(report.input_db_spl or 0.0, cal)}, output "
            f"{level_text(report.output_db_spl, cal)} (RMS; 0 dBFS RMS = {cal:g} dB SPL)"
        )
        print(f"wrote {args.output} ({report.duration_s:.1f} s, stereo, {report.sample_rate} Hz)")
    return 0


def _live(args: argparse.Namespace, profile: FittingProfile) -> int:
    import sys

    from openhear.audio.devices import device_arg
    from openhear.live.amplifier import LiveOptions
    from openhear.live.shell import run_live

    options = LiveOptions(
        device_arg(args.input_device),
        device_arg(args.output_device),
        args.rate,
        args.block,
        args.duration,
    )
    run_live(profile, options, sys.stdin, say=lambda text: print(text, flush=True))
    return 0
