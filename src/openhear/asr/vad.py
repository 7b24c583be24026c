"""Streaming voice activity detection with Silero VAD v6 (the torch-free ONNX copy in
faster-whisper).

faster-whisper's own runner restarts the model state on every call; this one carries the LSTM
state and the 64-sample context from frame to frame, so a stream gives the same probabilities
however it is chunked.
"""

from __future__ import annotations

import numpy as np

FRAME_SAMPLES = 512
"""Silero's frame at 16 kHz (32 ms)."""
_CONTEXT = 64


class StreamingVad:
    """Speech probability (0 to 1) for each consecutive 512-sample frame of 16 kHz mono audio."""

    def __init__(self) -> None:
        from faster_whisper.vad import get_vad_model

        self._session = get_vad_model().session  # shared, loaded once per process
        self.reset()

    def reset(self) -> None:
        """Forget the stream: the next frame starts a new one."""
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(_CONTEXT, np.float32)

    def frame(self, samples: np.ndarray) -> float:
        """Speech probability of one frame of exactly FRAME_SAMPLES samples."""
        x = np.concatenate([self._context, samples]).astype(np.float32, copy=False)[None]
        prob, self._h, self._c = self._session.run(None, {"input": x, "h": self._h, "c": self._c})
        self._context = samples[-_CONTEXT:].astype(np.float32, copy=True)
        return float(prob.ravel()[0])
