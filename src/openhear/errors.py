"""Errors a user can act on: the CLI prints the message as one line, the server answers 4xx."""


class OpenhearError(Exception):
    """A problem with the user's input or environment, worded for the user."""

    exit_code = 1


class UsageError(OpenhearError):
    """The command line itself is wrong (exit code 2, as argparse does)."""

    exit_code = 2


class AudioInputError(OpenhearError):
    """An audio file or stream that cannot be read as audio."""


class ModelError(OpenhearError):
    """A model or voice that is missing or cannot be loaded."""


class DeviceError(OpenhearError):
    """No usable sound device, or PortAudio is missing."""


def exception_line(exc: BaseException, *, last: bool = False) -> str:
    """A library's exception as one line for a message: its first line (`last`: its last line,
    where the library puts the reason after the context), or the exception's type name when it
    says nothing."""
    lines = str(exc).strip().splitlines()
    if not lines:
        return type(exc).__name__
    return lines[-1] if last else lines[0]
