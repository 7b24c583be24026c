"""The `openhear` command: a thin adapter that parses arguments and calls the library.

Each subcommand lives in `openhear.commands.<name>` and exposes `register(subparsers, common)`,
which adds its parser and sets `func(args) -> int`. Modules there must import cheaply: heavy
imports (models, numpy-heavy code) belong inside the command's function.

Exit codes: 0 success, 1 runtime error, 2 usage error, 130 interrupted. Errors are one line.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import os
import pkgutil
import sys
import threading
import traceback

from openhear import __version__, commands
from openhear.errors import OpenhearError

log = logging.getLogger("openhear")


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every command module found in openhear.commands (modules whose
    name starts with "_" are helpers, not commands)."""
    common = argparse.ArgumentParser(add_help=False)
    verbosity = common.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-q", "--quiet", action="store_true", help="print only results and errors"
    )
    verbosity.add_argument(
        "-v", "--verbose", action="store_true", help="print progress details and timings"
    )

    parser = argparse.ArgumentParser(
        prog="openhear",
        description="Offline, private hearing assistance: amplify, caption, speak, converse.",
    )
    parser.add_argument("--version", action="version", version=f"openhear {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):  # helpers the commands share, not a command
            continue
        module = importlib.import_module(f"openhear.commands.{info.name}")
        module.register(sub, common)
    return parser


QUIET_LIBRARY_LOGGERS = ("faster_whisper",)
"""Libraries whose info and debug lines (faster-whisper: one per decode, one per window) would
drown ours with --verbose: they print warnings and errors only."""


def _configure_logging(args: argparse.Namespace) -> None:
    level = logging.WARNING
    if getattr(args, "quiet", False):
        level = logging.ERROR
    elif getattr(args, "verbose", False):
        level = logging.DEBUG
    logging.basicConfig(level=level, format="openhear: %(message)s", stream=sys.stderr)
    for name in QUIET_LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    _configure_logging(args)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # here, not at exit, so a reader that has gone is handled below
        return code
    except OpenhearError as exc:
        print(f"openhear: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("openhear: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_gone()
    except OSError as exc:
        if exc.errno not in OUTPUT_FULL_ERRNOS:
            return _internal_error(args, exc)
        return _output_failed(exc)
    except Exception as exc:  # last resort: still one line, with the traceback only on --verbose
        return _internal_error(args, exc)


OUTPUT_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""Errors of a write the user can act on (a full disk, a quota, a file too large), not bugs:
said in one line, not as an internal error (e.g. `openhear caption x.wav > /dev/full`)."""


def _output_failed(exc: OSError) -> int:
    print(f"openhear: error: cannot write the output ({exc.strerror or exc})", file=sys.stderr)
    try:
        sys.stdout.flush()
    except (OSError, ValueError):  # stdout itself failed: its flush at exit would fail again
        return _stdout_to_devnull(1)
    return 1


def _internal_error(args: argparse.Namespace, exc: Exception) -> int:
    if getattr(args, "verbose", False):
        traceback.print_exc()
    print(
        f"openhear: internal error: {type(exc).__name__}: {exc} (run with --verbose for details)",
        file=sys.stderr,
    )
    return 1


def _reader_gone() -> int:
    """stdout's reader went away (`| head`, a player that quit): a normal end, exit 0 quietly.

    As Python's docs advise (signal module, "Note on SIGPIPE"), stdout is pointed at /dev/null so
    the flush at exit cannot fail again. A thread still inside native code (onnxruntime,
    CTranslate2, PortAudio) aborts the process if the interpreter finalizes under it, so when
    other threads are left the process ends here, without finalizing (stderr flushed first).
    """
    return _stdout_to_devnull(0)


def _stdout_to_devnull(code: int) -> int:
    """`code`, with stdout pointed at /dev/null so that nothing more is written to it (see
    `_reader_gone`)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # a stdout without a descriptor (main called in-process)
        return code
    if threading.active_count() > 1 and sys.stdout is sys.__stdout__:
        try:
            sys.stderr.flush()
        finally:
            os._exit(code)
    return code
