"""Moving samples: blocks that carry their sample rate, file and stdin IO, devices, resampling."""

from openhear.audio.block import AudioBlock

__all__ = ["AudioBlock"]
