"""Real speech re-encoded, in the test, into the containers browsers and phones record."""

from __future__ import annotations

import io

import av
import numpy as np

RECORDED_FORMATS = {
    "webm": ("webm", "libopus", 48000),
    "ogg": ("ogg", "libopus", 48000),
    "m4a": ("ipod", "aac", 44100),
    "mp4": ("mp4", "aac", 44100),
    "aac": ("adts", "aac", 44100),
}
"""Upload suffix -> (FFmpeg muxer, codec, rate): Chromium and Firefox's MediaRecorder (webm and
ogg with opus), iOS and Android voice memos (m4a/mp4 with aac), raw ADTS aac."""


def encode_recording(samples: np.ndarray, rate: int, suffix: str) -> bytes:
    """Mono float `samples` at `rate` as a `suffix` file (see RECORDED_FORMATS), made by PyAV."""
    muxer, codec, out_rate = RECORDED_FORMATS[suffix]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=muxer) as out:
        stream = out.add_stream(codec, rate=out_rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, np.float32)[None, :], format="flt", layout="mono"
        )
        frame.sample_rate = rate
        resampler = av.AudioResampler(
            format=stream.codec_context.format.name, layout="mono", rate=out_rate
        )
        for converted in resampler.resample(frame) + resampler.resample(None):
            out.mux(stream.encode(converted))
        out.mux(stream.encode(None))
    return buffer.getvalue()
