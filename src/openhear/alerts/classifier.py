"""The classifier path: YAMNet over 0.975 s frames every 0.4875 s, scored per sound in the table."""

from __future__ import annotations

import numpy as np

from openhear.alerts.events import SoundEvent
from openhear.alerts.sounds import SOUNDS
from openhear.alerts.yamnet import FRAME_SAMPLES, SAMPLE_RATE, YamnetModel

HOP_SAMPLES = FRAME_SAMPLES // 2
"""Frames start every 7800 samples (0.4875 s, YAMNet's own patch hop), on a grid counted from
the stream's first sample, so the frames do not depend on how the audio was cut into blocks."""
FRAME_S = FRAME_SAMPLES / SAMPLE_RATE
HOP_S = HOP_SAMPLES / SAMPLE_RATE


class SoundClassifier:
    """Streams 16 kHz mono samples through YAMNet; one SoundEvent per frame and sound.

    Lifecycle: `process` consecutive chunks, `finish` at the end of a stream (classifies the tail),
    `reset` for a new stream. Times are seconds since the stream's first sample plus `origin_s`.
    """

    def __init__(self, model: YamnetModel, sounds: tuple[str, ...]):
        self.model = model
        index = {name: i for i, name in enumerate(model.class_names)}
        self._sounds = [
            (key, np.array([index[c] for c in SOUNDS[key].classes]))
            for key in SOUNDS  # table order: most urgent first
            if key in sounds and SOUNDS[key].classes
        ]
        self.reset()

    def reset(self, origin_s: float = 0.0) -> None:
        """Forget the stream; the next one starts at `origin_s` on the input's clock."""
        self.origin_s = origin_s
        self._samples = np.zeros(0, np.float32)
        self._base = 0  # stream index of self._samples[0]
        self._next_end = FRAME_SAMPLES  # stream index just after the next frame

    @property
    def active(self) -> bool:
        """Whether any selected sound is scored by the classifier (else the model is not run)."""
        return bool(self._sounds)

    def process(self, samples: np.ndarray) -> list[SoundEvent]:
        """Classify every frame the new samples complete."""
        self._samples = np.concatenate([self._samples, np.asarray(samples, np.float32)])
        events: list[SoundEvent] = []
        while self._next_end - self._base <= self._samples.size:
            end = self._next_end - self._base
            events += self._classify(self._samples[end - FRAME_SAMPLES : end], self._next_end)
            self._next_end += HOP_SAMPLES
        drop = self._next_end - FRAME_SAMPLES - self._base
        if drop > 0:
            self._samples = self._samples[drop:]
            self._base += drop
        return events

    def finish(self) -> list[SoundEvent]:
        """End of stream: classify the last frame of audio if samples after the last frame's end
        have not been classified (zero-padded when the whole stream is shorter than a frame)."""
        total = self._base + self._samples.size
        last_end = self._next_end - HOP_SAMPLES
        if total == 0 or total <= last_end:
            return []
        tail = self._samples[-FRAME_SAMPLES:]
        frame = np.zeros(FRAME_SAMPLES, np.float32)
        frame[FRAME_SAMPLES - tail.size :] = tail
        return self._classify(frame, total)

    def _classify(self, frame: np.ndarray, end: int) -> list[SoundEvent]:
        if not self._sounds:
            return []
        scores = self.model.scores(frame)
        end_s = self.origin_s + end / SAMPLE_RATE
        start_s = max(self.origin_s, end_s - FRAME_S)
        events = []
        for key, classes in self._sounds:
            best = classes[int(np.argmax(scores[classes]))]
            events.append(
                SoundEvent(
                    key,
                    float(scores[best]),
                    start_s,
                    end_s,
                    "classifier",
                    self.model.class_names[best],
                )
            )
        return events
