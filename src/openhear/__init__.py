"""openhear: offline, private hearing assistance (amplify, caption, speak, converse)."""

__version__ = "0.1.0"
