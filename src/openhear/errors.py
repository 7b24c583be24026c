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
