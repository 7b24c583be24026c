"""openhear: offline, private hearing assistance (amplify, caption, speak, converse)."""

from openhear.privacy import switch_off_telemetry

switch_off_telemetry()  # first, before any openhear module can import onnxruntime or the Hub client

__version__ = "0.1.0"
