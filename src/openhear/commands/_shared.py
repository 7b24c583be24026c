"""CLI helpers that more than one command uses: usage errors, whole-number options, the progress
bar over audio seconds, and raw PCM on stdin (`--rate`, `--channels`). Not a command: `cli` skips
the modules whose name starts with "_".

Like the commands, this imports the library only where used, so that `--help` and bad arguments
answer at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Never

    from tqdm import tqdm

    from openhear.audio.block import AudioBlock
    from openhear.errors import UsageError


def usage(message: str) -> UsageError:
    """A wrong command line, to raise: one line on stderr and exit code 2."""
    from openhear.errors import UsageError

    return UsageError(message)


def int_option(name: str, value: str) -> int:
    """An option's value as a whole number; a usage error that names the option otherwise."""
    try:
        return int(value)
    except ValueError:
        raise usage(f"{name} must be a whole number, got {value!r}") from None


def progress_bar(args: argparse.Namespace, duration_s: float) -> tqdm[Never] | None:
    """A progress bar over audio seconds, on a terminal only and not with --quiet."""
    if args.quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(
        total=round(duration_s, 2),
        unit="s",
        unit_scale=False,
        file=sys.stderr,
        leave=False,
        bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} s audio [{elapsed}<{remaining}]",
    )


def add_input_device_argument(p: argparse.ArgumentParser, system_help: str) -> None:
    """`--input-device` (read as `args.device`), the microphone's name as amplify and converse
    take it; `--device` is the same option, kept for the commands that had only it. `system_help`
    says what it names with --system."""
    p.add_argument(
        "--input-device",
        "--device",
        dest="device",
        metavar="DEVICE",
        help="microphone number or name for --live (see `openhear devices`); with --system, "
        f"{system_help} (--device is the same option)",
    )


def add_stdin_pcm_arguments(p: argparse.ArgumentParser) -> None:
    """`--rate` and `--channels` of raw s16le PCM on stdin (`-`), read by `stdin_blocks`."""
    p.add_argument("--rate", default="16000", help="sample rate of stdin PCM in Hz (default 16000)")
    p.add_argument("--channels", default="1", help="channels of stdin PCM (default 1)")


def stdin_blocks(args: argparse.Namespace) -> Iterator[AudioBlock]:
    """Raw PCM on stdin as blocks; bad --rate or --channels, or an empty stdin, fail here with
    one line, before any model loads."""
    from openhear.audio.files import stdin_pcm_blocks

    rate = int_option("--rate", args.rate)
    channels = int_option("--channels", args.channels)
    return stdin_pcm_blocks(sys.stdin.buffer, rate, channels)
