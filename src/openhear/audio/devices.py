"""Sound devices through sounddevice/PortAudio, imported lazily so the rest
works without PortAudio."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from openhear.errors import DeviceError


def sounddevice() -> ModuleType:
    """The sounddevice module, or a DeviceError saying how to get PortAudio."""
    try:
        import sounddevice as sd
    except OSError:
        raise DeviceError(
            "live audio needs PortAudio: install Debian's libportaudio2 (scripts/setup.sh does)"
        ) from None
    return sd


def device_arg(value: str | None) -> int | str | None:
    """A device as the user gave it (command line): its number as an int, else its name;
    None for the default."""
    return int(value) if value is not None and value.isdigit() else value


def list_devices() -> list[dict]:
    """Every audio device PortAudio sees: index, name, input and output channels, default rate."""
    sd = sounddevice()
    try:
        devices = sd.query_devices()
    except Exception as exc:  # PortAudio reports host errors as plain exceptions
        raise DeviceError(f"cannot list audio devices ({exc})") from None
    return [
        {
            "index": i,
            "name": d["name"],
            "max_input_channels": d["max_input_channels"],
            "max_output_channels": d["max_output_channels"],
            "default_samplerate": d["default_samplerate"],
        }
        for i, d in enumerate(devices)
    ]


def require_device(kind: str, device: int | str | None = None) -> dict:
    """The chosen (or default) input or output device, or a clear DeviceError if there is none."""
    sd = sounddevice()
    want = "max_input_channels" if kind == "input" else "max_output_channels"
    try:
        info = sd.query_devices(device, kind=kind)
    except (ValueError, Exception):
        label = f"audio {kind} device {device!r}" if device is not None else f"{kind} audio device"
        raise DeviceError(f"no {label} found (see `openhear devices`)") from None
    if not info or info.get(want, 0) < 1:
        raise DeviceError(
            f"device {info.get('name', device)!r} has no {kind} channels (see `openhear devices`)"
        )
    return dict(info)


def open_stream(kind: str, what: str, **settings: Any) -> Any:
    """An unstarted sounddevice stream (`kind`: "InputStream", "OutputStream" or "Stream"), or a
    one-line DeviceError naming `what` when PortAudio refuses the settings."""
    sd = sounddevice()
    try:
        return getattr(sd, kind)(**settings)
    except Exception as exc:  # PortAudio reports refused settings as plain exceptions
        raise DeviceError(f"cannot open {what} ({exc})") from None


def start_stream(stream: Any, what: str) -> None:
    """Start an opened stream, or close it and raise a one-line DeviceError."""
    try:
        stream.start()
    except Exception as exc:  # as above
        stream.close()
        raise DeviceError(f"cannot start {what} ({exc})") from None
