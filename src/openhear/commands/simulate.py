"""`openhear simulate`: hear a recording as a listener with a given hearing loss would (MSBG)."""

from __future__ import annotations

import argparse


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
    from openhear.audio import AudioBlock
    from openhear.audio.files import read_audio, write_audio
    from openhear.dsp.hearing_loss import simulate_listener
    from openhear.dsp.testsignals import scaled_to_level
    from openhear.fitting.audiogram import load_listener

    listener = load_listener(args.audiogram)
    source = read_audio(args.input)
    samples = scaled_to_level(source.samples, args.input_level, args.calibration)
    heard = simulate_listener(samples, source.sample_rate, listener, args.calibration)
    write_audio(
        args.output,
        AudioBlock(heard, source.sample_rate),
        {
            "comment": "openhear simulate: as heard with hearing loss "
            f"{listener.name or args.audiogram} (MSBG)"
        },
    )
    if not args.quiet:
        print(
            f"wrote {args.output} ({heard.shape[0] / source.sample_rate:.1f} s, stereo, as "
            f"heard by {listener.name or 'the listener'})"
        )
    return 0
