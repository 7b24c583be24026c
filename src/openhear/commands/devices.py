"""`openhear devices`: list the sound devices PortAudio sees."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("devices", parents=[common], help="list audio input and output devices")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from openhear.audio.devices import list_devices

    devices = list_devices()
    if not devices:
        print("no audio devices found")
        return 0
    for d in devices:
        print(
            f"{d['index']:3d}  {d['name']}  (in {d['max_input_channels']}, out "
            f"{d['max_output_channels']}, {d['default_samplerate']:.0f} Hz)"
        )
    return 0
