"""Nothing leaves the machine: the telemetry of the libraries openhear uses is off before they load.

onnxruntime (Piper's voice, Silero VAD) otherwise writes a device id and queues a telemetry event
(program path, OS, CPU model, memory, container) in ~/.cache/Microsoft/DeveloperTools/ as soon
as it is imported, for an uploader to send. Its only switch that works is ORT_DISABLE_TELEMETRY,
read at import: `onnxruntime.disable_telemetry_events()` called after the import left both files
in place (checked with onnxruntime 1.32). So `openhear/__init__.py` calls `switch_off_telemetry`
before any openhear module can import a model library, and tests/test_privacy.py loads real
models with a fresh HOME to show that nothing is written there.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # fastapi itself is not imported here: this module runs at openhear's import
    from fastapi.telemetry import TelemetryConfig

TELEMETRY_OFF = {
    "ORT_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_OFFLINE": "1",
    "DO_NOT_TRACK": "1",
    "OTEL_SDK_DISABLED": "true",
}
"""Set (over any value the user had) in openhear's environment, so in every child process too.
ORT_DISABLE_TELEMETRY: onnxruntime's device id, event queue and uploader. HF_HUB_*: huggingface_hub
(imported by faster-whisper) neither reports usage nor reaches the Hub (openhear ships its models
and downloads nothing). DO_NOT_TRACK: the common opt-out other tools honour. OTEL_SDK_DISABLED:
an OpenTelemetry SDK, were one installed, exports nothing (FastAPI speaks OpenTelemetry)."""

FASTAPI_TELEMETRY_OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}
"""`FastAPI(telemetry=...)` for the web app: no spans, metrics or logs, whatever the environment
(FASTAPI_OTEL_AUTO_CONFIGURE) or an installed OpenTelemetry provider says."""


def switch_off_telemetry() -> None:
    """Put TELEMETRY_OFF in the environment; if onnxruntime was imported before openhear (by the
    program using it), its start-up event is already written, but further events are stopped."""
    os.environ.update(TELEMETRY_OFF)
    onnxruntime = sys.modules.get("onnxruntime")
    if onnxruntime is not None and hasattr(onnxruntime, "disable_telemetry_events"):
        onnxruntime.disable_telemetry_events()
