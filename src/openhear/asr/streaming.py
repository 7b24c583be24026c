"""The streaming captioner: audio blocks in, provisional and final captions out.

Policy (LocalAgreement-2 with VAD endpointing), decided on a fixed grid of 16 kHz samples so a
stream gives the same captions however its blocks are cut:

- Audio is resampled once to 16 kHz mono, then cut into 32 ms frames; Silero VAD scores each.
- Without speech nothing is decoded and only a short pre-roll is kept, so silence, hum and steady
  noise never reach Whisper (which would invent "Thank you.").
- While speech goes on, the buffer (audio since the last commit point) is re-decoded every
  `update_interval_s` of audio; the words two consecutive decodes agree on become final, the rest
  is the provisional caption. Committed text before the buffer is the prompt.
- When VAD hears `endpoint_silence_s` of silence after speech, the buffer is decoded once more and
  everything is committed (this is what keeps final latency low), and the buffer is emptied.
  If every word was already committed, that decode is skipped.
- Words Whisper puts where VAD heard silence, or that its aligner cannot place
  (openhear.asr.guards), are dropped before they can be committed.
- Provisional words Whisper is unsure of, words outside the speech VAD heard and phrases Whisper
  invents on noise are held back until final; an optional profanity mask
  (openhear.asr.screening).
- The buffer is trimmed at committed sentence ends once longer than `trim_after_s`, and never grows
  past `max_buffer_s`, so memory and time per update stay bounded on endless input.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from openhear.asr.agreement import LocalAgreement
from openhear.asr.events import (
    CaptionEvent,
    FinalCaption,
    ProvisionalCaption,
    Word,
    ends_sentence,
)
from openhear.asr.guards import drop_invented_tail
from openhear.asr.screening import (
    ProfanityMask,
    SpeechSpans,
    check_mask,
    hold_back,
    invented_final,
    masked,
)
from openhear.asr.sentences import join_fragments
from openhear.asr.transcriber import Transcriber
from openhear.asr.vad import FRAME_SAMPLES, StreamingVad
from openhear.asr.whisper import SAMPLE_RATE
from openhear.audio.block import AudioBlock
from openhear.audio.resample import MonoInput

FRAME_S = FRAME_SAMPLES / SAMPLE_RATE
_PROMPT_WORDS = 60
_UNHEARD_S = 1.0
"""At an endpoint, speech this long after the last decoded word means Whisper
stopped early: decode on."""
_AFTER_SPEECH_S = 0.2
"""A word that starts this long after the last frame VAD called speech is
Whisper filling silence."""


@dataclass(frozen=True)
class CaptionOptions:
    """How the streaming captioner trades latency, accuracy and compute."""

    vocabulary: Sequence[str] = field(default_factory=tuple)
    """Words or names to recognise more readily (people, places, medicines); empty:
    the transcriber's own."""
    update_interval_s: float = 0.5
    """Audio between two re-decodes while speech goes on (each decode costs about 0.3 s of CPU)."""
    endpoint_silence_s: float = 0.3
    """Silence after speech that ends an utterance: decode once and commit everything."""
    vad_threshold: float = 0.5
    """Silero speech probability above which a 32 ms frame counts as speech."""
    min_speech_s: float = 0.25
    """An utterance with less speech than this in total is ignored (clicks, clatter)."""
    preroll_s: float = 0.3
    """Audio kept from before the first speech frame, so word onsets are not cut."""
    trim_after_s: float = 8.0
    """Once the buffer is longer than this, it is cut at the last committed sentence end."""
    max_buffer_s: float = 12.0
    """The buffer never grows past this: it is cut at the last committed word (or
    everything is committed)."""
    short_window: bool = False
    """Let Whisper encode a 15 s window instead of 30 s (buffers stay under 13 s): about half the
    compute per decode, for slightly more errors (4.9 % vs 4.2 % WER on the test conversation)."""
    beam_size: int = 5
    """Beam width of the decode at an endpoint (the one whose words all become final)."""
    interim_beam_size: int = 1
    """Beam width of the decodes while speech goes on (greedy is cheaper and agrees as well)."""
    prompt_chars: int = 200
    """How much committed text is passed to Whisper as the prompt (120 instead of 200
    cost 2.8 points of WER)."""
    speech_pad_s: float = 0.3
    """At an endpoint, audio kept after the last speech frame (the rest is silence Whisper might
    fill with invented words)."""
    max_lag_s: float | None = None
    """Live streams: while captions lag real time by more than this, skip the in-between decodes
    (endpoints still decode, so nothing is lost, only delayed less). None never skips, so the
    captions depend on the audio alone, not on how fast the machine is."""
    provisional_min_probability: float = 0.3
    """Provisional words from the first one Whisper gives less than this probability on are held
    back until they are final (so an invented word does not flash up); 0 shows them all."""
    profanity_mask: ProfanityMask = "provisional"
    """Mask profanity ("f***") in no caption ("off"), in provisional words under
    `mask_below_probability` ("provisional"), or in every caption, final ones included ("all")."""
    mask_below_probability: float = 0.8
    """With profanity_mask "provisional": provisional words under this probability are masked
    (an invented word rarely scores above it)."""

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "vocabulary", tuple(w.strip() for w in self.vocabulary if w.strip())
        )
        check_mask(self.profanity_mask)
        for name in ("provisional_min_probability", "mask_below_probability"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        for name in ("update_interval_s", "endpoint_silence_s", "trim_after_s", "max_buffer_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if not 0 < self.vad_threshold < 1:
            raise ValueError("vad_threshold must be between 0 and 1")
        if self.max_buffer_s < self.trim_after_s or self.max_buffer_s > 28:
            raise ValueError(
                "max_buffer_s must lie between trim_after_s and 28 s (Whisper hears 30 s)"
            )


def _frames(seconds: float) -> int:
    return max(1, round(seconds / FRAME_S))


def _text(words: Sequence[Word]) -> str:
    return "".join(w.text for w in words).strip()


class StreamingCaptioner:
    """Turns a stream of AudioBlocks (any rate, any channels) into caption events.

    Lifecycle: `feed` blocks as they come, `flush` at the end of the stream (it commits everything
    and leaves the captioner ready for a new stream), `reset` to drop a stream half-way. Not
    thread-safe: one captioner per stream (the transcriber they use may be shared).

    Clock: event times are on the blocks' clock. A stream (what is fed after a flush or reset)
    starts at its first block's `start_s` and from there counts the samples fed, so blocks must
    follow on without gaps. A caller that pauses with `flush` and feeds on (a web page's pause, a
    relay stream) thus gets one timeline with no offsets of its own to keep; one that starts again
    from 0 (a new recording) gets times from 0.
    """

    def __init__(
        self,
        transcriber: Transcriber,
        options: CaptionOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.transcriber = transcriber
        self._clock = clock
        self.options = options or CaptionOptions()
        o = self.options
        self._step = _frames(o.update_interval_s)
        self._endpoint_frames = _frames(o.endpoint_silence_s)
        self._min_speech = _frames(o.min_speech_s)
        self._preroll = _frames(o.preroll_s)
        self._speech_pad = _frames(o.speech_pad_s)
        self._trim_frames = _frames(o.trim_after_s)
        self._max_frames = _frames(o.max_buffer_s)
        self._vad = StreamingVad()
        self._agreement = LocalAgreement()
        self.decodes = 0
        """Whisper decode calls so far (all streams), for benchmarks."""
        self.reset()

    def reset(self) -> None:
        """Forget the current stream (its audio, state and uncommitted words)."""
        self._input = MonoInput(SAMPLE_RATE)
        self._pending = np.zeros(0, np.float32)
        self._buffer: deque[np.ndarray] = deque()
        self._buffer_start = 0
        self._last_speech = 0  # frame index just after the latest speech frame
        self._decoded_to = 0  # frame index just after the audio of the latest decode
        self._wall_origin: float | None = (
            None  # clock time at which the stream's time 0 was recorded
        )
        self._start_s = 0.0  # the stream's time 0 on the blocks' clock: its first block's start_s
        self._speech_frames = 0
        self._silence_frames = 0
        self._in_speech = False
        self._since_decode = 0
        self._speech_since_decode = False
        self._committed: deque[Word] = deque(maxlen=_PROMPT_WORDS)
        self._provisional = ""
        self._speech = SpeechSpans()  # stream seconds VAD called speech, to screen words with
        self._vad.reset()
        self._agreement.reset()

    @property
    def buffer_s(self) -> float:
        """Seconds of audio held for the next decode (bounded by `max_buffer_s` plus one update)."""
        return len(self._buffer) * FRAME_S

    def feed(self, block: AudioBlock) -> Iterator[CaptionEvent]:
        """Add audio; return the caption events it completes.

        The work is done before this returns (the events come as an iterator over a finished
        list), so a block is consumed even if its events are ignored."""
        if self._wall_origin is None:
            self._wall_origin = self._clock() - block.duration_s
            self._start_s = block.start_s
        return iter(list(self._consume(self._input.process(block))))

    def flush(self) -> Iterator[CaptionEvent]:
        """End of stream: decode what is left, commit everything, then start afresh
        (done before returning)."""
        return iter(list(self._flush()))

    def _flush(self) -> Iterator[CaptionEvent]:
        yield from self._consume(self._input.flush())
        if self._pending.size:
            last = np.zeros(FRAME_SAMPLES, np.float32)
            last[: self._pending.size] = self._pending
            self._pending = np.zeros(0, np.float32)
            yield from self._step_frame(last)
        if self._speech_frames >= self._min_speech:
            yield from self._endpoint()
        yield from self._emit([], [])
        self.reset()

    def _consume(self, samples: np.ndarray) -> Iterator[CaptionEvent]:
        if samples.size:
            self._pending = np.concatenate([self._pending, samples])
        n = self._pending.size // FRAME_SAMPLES
        frames, self._pending = (
            self._pending[: n * FRAME_SAMPLES],
            self._pending[n * FRAME_SAMPLES :],
        )
        for frame in frames.reshape(n, FRAME_SAMPLES):
            yield from self._step_frame(frame)

    def _step_frame(self, frame: np.ndarray) -> Iterator[CaptionEvent]:
        o = self.options
        threshold = o.vad_threshold - 0.15 if self._in_speech else o.vad_threshold  # hysteresis
        self._in_speech = self._vad.frame(frame) >= threshold
        self._buffer.append(frame)
        self._since_decode += 1
        if self._in_speech:
            self._last_speech = self._buffer_start + len(self._buffer)
            self._speech.mark((self._last_speech - 1) * FRAME_S, self._last_speech * FRAME_S)
            self._speech_frames += 1
            self._silence_frames = 0
            self._speech_since_decode = True
        else:
            self._silence_frames += 1
        if self._speech_frames == 0:
            self._keep_last(self._preroll)
        elif self._silence_frames >= self._endpoint_frames:
            if self._speech_frames >= self._min_speech:
                yield from self._endpoint()
            self._end_utterance()
        elif (
            self._speech_frames >= self._min_speech
            and self._since_decode >= self._step
            and self._speech_since_decode
            and not self._lagging()
        ):
            yield from self._interim()

    def _lagging(self) -> bool:
        if self.options.max_lag_s is None or self._wall_origin is None:
            return False
        audio_s = (self._buffer_start + len(self._buffer)) * FRAME_S
        return self._clock() - self._wall_origin - audio_s > self.options.max_lag_s

    def _keep_last(self, frames: int) -> None:
        while len(self._buffer) > frames:
            self._buffer.popleft()
            self._buffer_start += 1

    def _end_utterance(self) -> None:
        self._speech_frames = 0
        self._keep_last(self._preroll)

    def _prompt(self) -> str | None:
        """The committed text before the buffer, its closing full stop included: without it
        Whisper starts real new sentences in lower case too (measured on the dev stream: 5 of the
        utterances after a 1 s pause began in lower case and WER rose from 3.47 to 4.17 %), so
        the next fragment's capital stays the sign of a sentence end
        (openhear.asr.sentences)."""
        start_s = self._buffer_start * FRAME_S
        text = _text([w for w in self._committed if w.end_s <= start_s + 0.05])
        if len(text) > self.options.prompt_chars:
            text = text[-self.options.prompt_chars :].split(" ", 1)[-1]
        return text or None

    def _decode(
        self,
        beam_size: int,
        fallback: bool,
        end_frame: int | None = None,
        first_window_only: bool = True,
    ) -> list[Word]:
        """Decode the buffer (up to `end_frame`), by default in Whisper's first window only."""
        offset = self._buffer_start * FRAME_S
        frames = list(self._buffer)
        if end_frame is not None:
            frames = frames[: max(1, end_frame - self._buffer_start)]
        words = self.transcriber.transcribe(
            np.concatenate(frames),
            prompt=self._prompt(),
            vocabulary=self.options.vocabulary or None,
            beam_size=beam_size,
            fallback=fallback,
            short_window=None if self.options.short_window else False,
            first_window_only=first_window_only,
        )
        self.decodes += 1
        self._decoded_to = self._buffer_start + len(frames)
        self._since_decode = 0
        self._speech_since_decode = False
        heard_until_s = (
            self._last_speech * FRAME_S + _AFTER_SPEECH_S
        )  # words after that are in silence
        return [
            w.moved(w.start_s + offset, w.end_s + offset)
            for w in drop_invented_tail(words)
            if w.start_s + offset < heard_until_s
        ]

    def _endpoint(self) -> Iterator[CaptionEvent]:
        if not self._agreement.pending and self._decoded_to >= self._last_speech:
            # every word heard is committed already; decoding the silence could only invent more
            return
        end = self._last_speech + self._speech_pad
        words = self._decode(self.options.beam_size, fallback=True, end_frame=end)
        if words and words[-1].end_s < self._last_speech * FRAME_S - _UNHEARD_S:
            words = self._decode(
                self.options.beam_size, fallback=True, end_frame=end, first_window_only=False
            )
        yield from self._emit(self._agreement.commit_all(words), [])

    def _interim(self) -> Iterator[CaptionEvent]:
        committed = self._agreement.update(
            self._decode(self.options.interim_beam_size, fallback=False)
        )
        yield from self._emit(committed, self._agreement.pending)
        if len(self._buffer) > self._trim_frames:
            yield from self._trim()

    def _trim(self) -> Iterator[CaptionEvent]:
        start_s = self._buffer_start * FRAME_S
        inside = [w for w in self._committed if w.start_s >= start_s]
        cut = next((w.end_s for w in reversed(inside) if ends_sentence(w.text)), None)
        if cut is None and len(self._buffer) > self._max_frames:
            if (
                not inside
            ):  # nothing agreed for max_buffer_s: commit what was heard rather than grow
                forced = self._agreement.commit_all(self._agreement.pending)
                yield from self._emit(forced, [])
                inside = forced
            cut = (
                inside[-1].end_s
                if inside
                else (self._buffer_start + len(self._buffer) - self._preroll) * FRAME_S
            )
        if cut is not None:
            self._keep_last(len(self._buffer) - (int(cut / FRAME_S) - self._buffer_start))

    def _emit(self, committed: list[Word], pending: list[Word]) -> Iterator[CaptionEvent]:
        """Events for newly committed and pending words (stream time inside,
        the blocks' clock out)."""
        committed, pending = self._screened(committed, pending)
        if committed:
            self._committed.extend(committed)
            shown = masked(committed) if self.options.profanity_mask == "all" else committed
            words = self._on_blocks_clock(shown)
            yield FinalCaption(_text(shown), words[0].start_s, words[-1].end_s, words)
        text = _text(pending)
        if text != self._provisional:
            self._provisional = text
            if pending:
                words = self._on_blocks_clock(pending)
                yield ProvisionalCaption(text, words[0].start_s, words[-1].end_s, words)
            else:
                end = self._start_s + self._agreement.committed_end_s
                yield ProvisionalCaption("", end, end)

    def _screened(
        self, committed: list[Word], pending: list[Word]
    ) -> tuple[list[Word], list[Word]]:
        """The committed words less a phrase Whisper invents on noise (when it is all the
        utterance has so far), and the provisional words that may be shown
        (openhear.asr.screening)."""
        o = self.options
        start_s = self._buffer_start * FRAME_S
        self._speech.forget_before(start_s - 1.0)
        first = not any(w.end_s > start_s for w in self._committed)
        if committed and first and invented_final(committed):
            committed = []
        pending = hold_back(pending, o.provisional_min_probability, self._speech)
        if o.profanity_mask != "off":
            below = o.mask_below_probability if o.profanity_mask == "provisional" else 1.1
            pending = masked(pending, below)
        return committed, pending

    def _on_blocks_clock(self, words: list[Word]) -> tuple[Word, ...]:
        return tuple(w.moved(self._start_s + w.start_s, self._start_s + w.end_s) for w in words)


LIVE_OPTIONS = CaptionOptions(max_lag_s=1.0, short_window=True)
"""For microphones and other real-time sources: re-decode twice a second, cheaply,
never fall far behind."""


def caption_blocks(
    blocks: Iterable[AudioBlock],
    transcriber: Transcriber,
    options: CaptionOptions | None = None,
) -> Iterator[CaptionEvent]:
    """Caption a finite stream of blocks: feed them all, then flush."""
    captioner = StreamingCaptioner(transcriber, options)
    for block in blocks:
        yield from captioner.feed(block)
    yield from captioner.flush()


def final_text(events: Iterable[CaptionEvent]) -> str:
    """The transcript: every final caption's text, joined into sentences (a full stop the next
    caption shows to be invented goes: openhear.asr.sentences)."""
    return join_fragments([e.text for e in events if isinstance(e, FinalCaption) and e.text])
