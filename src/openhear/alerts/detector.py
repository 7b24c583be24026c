"""The sound-alert detector: audio blocks in, alerts out.

Audio of any rate from 8 kHz up and any channel count is resampled once (openhear's stateful soxr
resampler) to 16 kHz mono, which feeds two independent paths: the YAMNet classifier
(openhear.alerts.classifier) and the T3/T4 alarm-pattern detector (openhear.alerts.patterns).
Either path can raise an alarm; one AlertPolicy turns their events into alerts.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from openhear.alerts.classifier import SoundClassifier
from openhear.alerts.events import Alert, SoundEvent
from openhear.alerts.patterns import PATTERNS, AlarmPatternDetector, PatternMatch, PatternOptions
from openhear.alerts.policy import AlertPolicy
from openhear.alerts.sounds import DEFAULT_SOUNDS, SOUNDS
from openhear.alerts.yamnet import SAMPLE_RATE, YamnetModel
from openhear.audio.block import AudioBlock
from openhear.audio.resample import StreamResampler
from openhear.errors import AudioInputError

MIN_SAMPLE_RATE = 8000
"""Lowest input rate: below it a 3 kHz alarm tone cannot be represented."""


def needs_classifier(sounds: Iterable[str]) -> bool:
    """Whether any of these sounds is scored by YAMNet (if not, no model need be loaded)."""
    return any(SOUNDS[k].classes for k in sounds)


class SoundAlertDetector:
    """Turns a stream of AudioBlocks into Alerts.

    Lifecycle: `feed` blocks as they come, `flush` at the end of a stream (it classifies the tail
    and leaves the detector ready for a new stream), `reset` to drop a stream half-way. One
    detector (and one YAMNet interpreter) per stream; not thread-safe.

    Clock: alert times are on the blocks' clock: a stream starts at its first block's `start_s`
    and counts the samples fed from there, so blocks must follow on without gaps.
    """

    def __init__(
        self,
        model: YamnetModel | None = None,
        sounds: Iterable[str] = DEFAULT_SOUNDS,
        pattern_options: PatternOptions | None = None,
    ):
        self.sounds = tuple(sounds)
        """The sounds alerted on (keys of openhear.alerts.sounds.SOUNDS)."""
        if model is None and needs_classifier(self.sounds):
            model = YamnetModel()
        self._classifier = SoundClassifier(model, self.sounds) if model is not None else None
        self._patterns = [
            AlarmPatternDetector(p, pattern_options) for p in PATTERNS if p.sound in self.sounds
        ]
        self._policy = AlertPolicy(self.sounds)
        self.reset()

    def reset(self) -> None:
        """Forget the current stream and every earlier alert."""
        self._resampler: StreamResampler | None = None
        self._format: tuple[int, int] | None = None
        self._origin_s = 0.0
        if self._classifier:
            self._classifier.reset()
        for patterns in self._patterns:
            patterns.reset()
        self._policy.reset()

    def feed(self, block: AudioBlock) -> list[Alert]:
        """Add audio; return the alerts it completes, most urgent first."""
        resampler = self._resampler
        if resampler is None or self._format is None:
            resampler = self._start(block)
        elif (block.sample_rate, block.channels) != self._format:
            raise AudioInputError(
                f"audio format changed mid-stream ({self._format[0]} Hz x{self._format[1]} "
                f"to {block.sample_rate} Hz x{block.channels})"
            )
        if not np.isfinite(block.samples).all():
            samples = np.nan_to_num(block.samples, posinf=1.0, neginf=-1.0)  # NaN would stick in
            block = AudioBlock(samples, block.sample_rate, block.start_s)  # the resampler's state
        return self._process(resampler.process(block).samples[:, 0])

    def flush(self) -> list[Alert]:
        """End of stream: analyse what the resampler still holds and the last partial frame, then
        start afresh."""
        if self._resampler is None:
            return []
        alerts = self._process(self._resampler.flush().samples[:, 0])
        if self._classifier:
            alerts += self._policy.update(self._classifier.finish())
        self.reset()
        return alerts

    def _start(self, block: AudioBlock) -> StreamResampler:
        if block.sample_rate < MIN_SAMPLE_RATE:
            raise AudioInputError(
                f"sound alerts need audio sampled at {MIN_SAMPLE_RATE} Hz or more "
                f"(got {block.sample_rate} Hz)"
            )
        self._format = (block.sample_rate, block.channels)
        self._resampler = StreamResampler(
            block.sample_rate, SAMPLE_RATE, block.channels, to_mono=True
        )
        self._origin_s = block.start_s
        if self._classifier:
            self._classifier.reset(block.start_s)
        return self._resampler

    def _process(self, samples: np.ndarray) -> list[Alert]:
        events: list[SoundEvent] = []
        if self._classifier:
            events += self._classifier.process(samples)
        for patterns in self._patterns:
            events += [self._pattern_event(m) for m in patterns.process(samples)]
        return self._policy.update(sorted(events, key=lambda e: e.end_s))

    def _pattern_event(self, match: PatternMatch) -> SoundEvent:
        return SoundEvent(
            match.pattern.sound,
            1.0,
            self._origin_s + match.start_s,
            self._origin_s + match.end_s,
            "pattern",
            f"{match.pattern.name} pattern at {match.frequency_hz / 1000:.2f} kHz",
        )
