"""`openhear hearing-test`: a pure-tone hearing check in the terminal that writes an audiogram
`openhear fit` reads (a screening to fit the amplifier, not a diagnosis)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # cheap imports at load time: the library is imported inside the functions
    from pathlib import Path

    from openhear.fitting.audiometry import CheckOptions, CheckResult
    from openhear.fitting.hearing_levels import Calibration
    from openhear.live.tone_player import TonePlayer

INTRO = """Hearing check: a screening to fit openhear's amplifier, not a diagnosis.
Sit somewhere quiet and put on your headphones (left on left). Keep the volume where it is
for the whole check. You will hear soft beeps, one ear at a time: press Space or Enter as soon
as you hear one, even a very faint one. Press q or Esc to stop at once. It takes about 5 minutes.
Press Space or Enter to start."""
CALIBRATION_TONE_S = 60.0
"""How long the calibration tone plays (time to read the meter)."""


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "hearing-test",
        parents=[common],
        help="check your hearing with headphones to fit the amplifier (a screening)",
        description="Pure-tone audiometry (modified Hughson-Westlake) at 250 Hz to 8 kHz in each "
        "ear, answered with Space or Enter; saves an audiogram for `openhear fit` and keeps a "
        "history. "
        "A screening to fit the amplifier, not a diagnosis.",
    )
    p.add_argument(
        "--headphone",
        metavar="KIND",
        help="circumaural (over the ear, default), supra-aural (on the ear) or insert (in the ear)",
    )
    p.add_argument(
        "--calibration",
        type=float,
        metavar="DB_SPL",
        help="dB SPL at the ear of a 0 dBFS RMS tone at your volume, if you know it",
    )
    p.add_argument(
        "--calibrate",
        action="store_true",
        help="measure the calibration with a sound-level meter (plays 1 kHz, asks the reading)",
    )
    p.add_argument("--first-ear", default="right", metavar="EAR", help="left or right (default)")
    p.add_argument("--output-device", metavar="DEV", help="headphones index or name")
    p.add_argument(
        "-o",
        "--output",
        metavar="AUDIOGRAM.json",
        help="also write the result here (it is always kept in your history)",
    )
    p.add_argument("--history", action="store_true", help="list your earlier checks and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from openhear.errors import UsageError
    from openhear.fitting.audiometry import CheckOptions

    if args.history:
        return _show_history(args)
    if args.calibrate and args.calibration is not None:
        raise UsageError("--calibrate measures the calibration; do not give --calibration too")
    if args.output:  # now, not after five minutes of listening
        from openhear.audio.outputs import check_output_file
        from openhear.errors import OpenhearError

        try:
            check_output_file(args.output)
        except OpenhearError as exc:
            raise UsageError(str(exc)) from None
    options = CheckOptions(first_ear=args.first_ear)
    calibration, note = _calibration(args)
    from openhear.audio.devices import device_arg
    from openhear.live.tone_player import TonePlayer

    player = TonePlayer(device_arg(args.output_device))
    try:
        if args.calibrate:
            return _calibrate(player, calibration.headphone, args)
        return _check(player, calibration, note, options, args)
    finally:
        player.close()


def _calibration(args: argparse.Namespace) -> tuple[Calibration, str]:
    """The calibration to use, and a note to print about it (or "")."""
    from openhear.fitting.hearing_levels import Calibration
    from openhear.fitting.hearing_results import saved_calibration

    saved = saved_calibration()
    headphone = args.headphone or (saved.headphone if saved else "circumaural")
    if args.calibration is not None:
        return Calibration(headphone, args.calibration, "stated"), ""
    if saved is not None and saved.headphone == headphone:
        return saved, ""
    note = (
        "uncalibrated: levels are assumed, so thresholds compare between your ears and checks on "
        "these headphones at this volume but are not true dB HL (`--calibrate` with a "
        "sound-level meter fixes that)"
    )
    if saved is not None:
        note += f"; your saved calibration is for {saved.headphone} headphones"
    return Calibration(headphone), note


def _calibrate(player: TonePlayer, headphone: str, args: argparse.Namespace) -> int:
    from datetime import datetime

    from openhear.dsp.tones import pulsed_tone, to_one_side
    from openhear.fitting.hearing_levels import (
        CALIBRATION_TONE_DBFS,
        CALIBRATION_TONE_HZ,
        calibration_from_meter,
    )
    from openhear.fitting.hearing_results import save_calibration

    tone = pulsed_tone(
        CALIBRATION_TONE_HZ,
        CALIBRATION_TONE_DBFS,
        player.sample_rate,
        pulses=1,
        pulse_s=CALIBRATION_TONE_S,
        gap_s=0.0,
        ramp_s=0.05,
    )
    print(
        f"Calibration: a steady {CALIBRATION_TONE_HZ:g} Hz tone plays in the LEFT earcup at the "
        f"volume you will use. Hold the sound-level meter's microphone against it (or use an ear "
        f"coupler), weighting Z or C, slow. Type the reading in dB SPL and press Enter "
        f"(Enter alone stops; the tone lasts {CALIBRATION_TONE_S:g} s).",
        flush=True,
    )
    player.start()
    player.play(to_one_side(tone, "left"))
    try:
        answer = input("meter reading (dB SPL): ").strip()
    except EOFError:
        answer = ""
    finally:
        player.fade_out()
    if not answer:
        print("calibration stopped; nothing saved")
        return 1
    try:
        reading = float(answer)
    except ValueError:
        from openhear.errors import OpenhearError

        raise OpenhearError(f"the meter reading must be a number, got {answer!r}") from None
    calibration = calibration_from_meter(
        headphone, reading, date=datetime.now().isoformat(timespec="seconds")
    )
    path = save_calibration(calibration)
    print(f"saved {path}: {calibration.describe()}")
    print("keep this volume for the check and for the amplifier")
    return 0


def _check(
    player: TonePlayer,
    calibration: Calibration,
    note: str,
    options: CheckOptions,
    args: argparse.Namespace,
) -> int:
    import sys
    from datetime import datetime

    from openhear.fitting.audiometry import HearingCheck
    from openhear.fitting.hearing_results import (
        SCREENING_NOTE,
        history,
        referrals,
        result_document,
        save_result,
        saved_check_from_dict,
    )
    from openhear.live.hearing_session import STOP, TerminalKeys, run_hearing_check

    keys = TerminalKeys(sys.stdin, on_stop=player.silence)
    try:
        print(INTRO, flush=True)
        print(f"calibration: {calibration.describe()}", flush=True)
        if note:
            print(f"note: {note}", flush=True)
        if keys.wait_for_key() == STOP:
            print("stopped; nothing saved")
            return 130
        player.start()
        check = HearingCheck(calibration.max_level_db_hl, options)
        result = run_hearing_check(
            check, calibration, player, keys, lambda text: print(text, flush=True)
        )
    finally:
        keys.close()
    if result is None:
        print("stopped; nothing saved")
        return 130
    if not result.complete:
        print(f"openhear: {result.warnings[-1]}; nothing saved", file=sys.stderr)
        return 1
    earlier = history()
    doc = result_document(result, calibration, datetime.now().astimezone())
    kept = save_result(doc, args.output)
    current = saved_check_from_dict(doc, kept)
    print(format_result(result))
    for warning in result.warnings:
        print(f"warning: {warning}")
    reasons = referrals(current, earlier[-1] if earlier else None)
    for reason in reasons:
        print(f"see an audiologist: {reason}")
    if reasons and not calibration.calibrated:
        print("(the check was uncalibrated, so these levels are approximate)")
    print(SCREENING_NOTE)
    where = f"{args.output} and {kept}" if args.output else str(kept)
    print(f"saved {where}; next: openhear fit --audiogram {args.output or kept} -o me.json")
    return 0


def format_result(result: CheckResult) -> str:
    """The thresholds of both ears as a small table (no response: >cap)."""
    frequencies = sorted(
        {t.frequency_hz for s in ("left", "right") for t in result.ear(s).thresholds}
    )
    lines = ["dB HL      " + "".join(f"{f / 1000:>6g}k" for f in frequencies)]
    for side in ("right", "left"):
        ear = {t.frequency_hz: t for t in result.ear(side).thresholds}
        cells = []
        for f in frequencies:
            t = ear.get(f)
            text = (
                ""
                if t is None
                else (
                    f"{t.level_db_hl:g}" if t.level_db_hl is not None else f">{t.max_level_db_hl:g}"
                )
            )
            cells.append(f"{text:>7}")
        lines.append(f"{side + ' ear':10s} " + "".join(cells))
    minutes, seconds = divmod(int(result.elapsed_s), 60)
    lines.append(
        f"{result.trials} trials in {minutes}:{seconds:02d}; {result.catch_answered} of "
        f"{result.catch_trials} silent trials answered; "
        + ("reliable" if result.reliable else "NOT reliable")
    )
    return "\n".join(lines)


def _show_history(args: argparse.Namespace) -> int:
    from openhear.fitting.hearing_results import history, history_dir

    unreadable: list[Path] = []

    def skip(path: Path, exc: Exception) -> None:
        unreadable.append(path)
        print(f"openhear: warning: skipped an unreadable hearing check: {exc}", file=sys.stderr)

    checks = history(on_unreadable=skip)
    if not checks:
        if unreadable:
            print(f"no readable hearing checks in {history_dir()}")
        else:
            print(f"no hearing checks kept yet (they go in {history_dir()})")
        return 0
    for c in checks:
        averages = []
        for side in ("right", "left"):
            pta = c.listener.ear(side).levels_at([500, 1000, 2000, 4000]).mean()
            averages.append(f"{side} {pta:4.1f}")
        calibrated = "calibrated" if c.calibration.calibrated else "uncalibrated"
        flag = "" if c.reliable else ", NOT reliable"
        print(
            f"{c.date[:16]}  average 0.5-4 kHz dB HL: {', '.join(averages)}  "
            f"({c.calibration.headphone}, {calibrated}{flag})  {c.path}"
        )
    return 0
