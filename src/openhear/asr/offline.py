"""Captions for recordings at offline quality: a file has no latency budget, so nothing is traded.

A recording is decoded as plain Whisper decodes a file (beam 5, temperature fallback, the text so
far as the prompt), but with its windows cut where nobody speaks:

- Silero VAD (faster-whisper's `get_speech_timestamps`) finds the speech regions: pauses shorter
  than `min_silence_s` stay inside a region, and a region longer than a window is split at its
  last pause (any pause of 0.1 s will do). Each keeps `speech_pad_s` of audio either side.
- The regions are packed, in order, into windows of up to `window_s`, each cut at the longest
  pause in its second half (between sentences, not inside one). Longer silences between regions
  are left out, so Whisper hears speech, not minutes of hush.
- Each window is decoded with the text so far as its prompt, and its words are put back on the
  recording's clock (faster-whisper's `SpeechTimestampsMap`). Whisper decodes a window once; only
  where its text stops before the speech does is the rest decoded on from the last word (never
  the padding after the speech alone, which cost an encoder pass per window and invented "Thank
  you.").

Windows end in pauses, so no word straddles a window boundary: plain Whisper's fixed 30 s windows
cut words in two, and with word timestamps on, faster-whisper then skips to the end of a misplaced
last word and loses the words between (six words of a 44 s recording). Silence, hum and steady
noise never reach Whisper, and words it invents at the end of a window are dropped
(openhear.asr.guards).

Memory stays bounded on hour-long recordings: the audio is analysed `ANALYSIS_S` at a time, and
only the speech that may still join a later window is carried over to the next analysis.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from openhear.asr.events import CaptionEvent, FinalCaption, Word
from openhear.asr.guards import drop_invented_tail
from openhear.asr.screening import ProfanityMask, check_mask, invented_final, masked
from openhear.asr.whisper import SAMPLE_RATE, WhisperTranscriber
from openhear.audio.block import AudioBlock
from openhear.audio.resample import MonoInput

ANALYSIS_S = 120.0
"""Audio analysed at once; at most half of it is carried over to the next analysis, so no more than
this (7.7 MB) and one block is ever held."""
_UNHEARD_S = 0.5
"""Speech this long after the last word of a decode means Whisper stopped early: decode on."""
_TAIL_S = 1.0
"""Audio after the last speech region that is carried over all the same (speech may start in it)."""


@dataclass(frozen=True)
class FileCaptionOptions:
    """How recordings are cut into windows and decoded."""

    vocabulary: Sequence[str] = field(default_factory=tuple)
    """Words or names to recognise more readily (given to Whisper as hotwords); empty: the
    transcriber's own."""
    window_s: float = 28.0
    """Most audio in one decode. Whisper hears 30 s; the rest stays silence, so it ends cleanly."""
    beam_size: int = 5
    """Beam width of each decode (faster-whisper's default)."""
    vad_threshold: float = 0.5
    """Silero speech probability above which a 32 ms frame counts as speech."""
    min_silence_s: float = 0.3
    """A pause at least this long ends a speech region, so a window may end in it; shorter pauses
    stay inside a region."""
    speech_pad_s: float = 0.4
    """Audio kept either side of each speech region, so word onsets and endings are not cut."""
    min_speech_s: float = 0.25
    """A window with less speech than this in all is not decoded (a click, a clatter)."""
    prompt_chars: int = 800
    """How much of the text so far each window gets as its prompt (about 200 tokens, as plain
    faster-whisper carries from window to window)."""
    profanity_mask: ProfanityMask = "provisional"
    """"all" masks profanity in the captions ("f***"); "off" and "provisional" (a recording has
    no provisional captions) leave what was said (openhear.asr.screening)."""

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "vocabulary", tuple(w.strip() for w in self.vocabulary if w.strip())
        )
        check_mask(self.profanity_mask)
        if not 1.0 <= self.window_s <= 29.0:
            raise ValueError("window_s must lie between 1 and 29 s (Whisper hears 30 s)")
        if self.beam_size < 1 or self.prompt_chars < 0:
            raise ValueError("beam_size must be at least 1 and prompt_chars not negative")
        if not 0 < self.vad_threshold < 1:
            raise ValueError("vad_threshold must be between 0 and 1")
        for name in ("min_silence_s", "speech_pad_s", "min_speech_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.window_s + self.min_silence_s + self.speech_pad_s > ANALYSIS_S / 2:
            raise ValueError(
                f"window_s + min_silence_s + speech_pad_s must stay under {ANALYSIS_S / 2:g} s"
            )


class FileCaptioner:
    """Turns a recording, fed as AudioBlocks (any rate, any channels), into final captions.

    The same lifecycle and clock as StreamingCaptioner: `feed` blocks as they are read, `flush` at
    the end (it decodes what is left and leaves the captioner ready for a new recording), `reset`
    to drop a recording half-way. Times are on the blocks' clock, counted from the first block's
    `start_s`. Each decoded window gives one FinalCaption; there are no provisional captions.
    Not thread-safe: one captioner per recording (the transcriber may be shared).
    """

    def __init__(self, transcriber: WhisperTranscriber, options: FileCaptionOptions | None = None):
        from faster_whisper.vad import VadOptions

        self.transcriber = transcriber
        self.options = options or FileCaptionOptions()
        o = self.options
        self._vad_options = VadOptions(  # regions without padding: their pauses choose the cuts
            threshold=o.vad_threshold,
            min_speech_duration_ms=0,  # a short word next to others is speech too: see _analyse
            max_speech_duration_s=o.window_s - 2 * o.speech_pad_s,
            min_silence_duration_ms=round(o.min_silence_s * 1000),
            speech_pad_ms=0,
        )
        self.decodes = 0
        """Whisper decode calls so far (all recordings), for benchmarks."""
        self.reset()

    def reset(self) -> None:
        """Forget the current recording (its audio and the text so far)."""
        self._input = MonoInput(SAMPLE_RATE)
        self._pending: list[np.ndarray] = []
        self._pending_samples = 0
        self._pending_start = 0  # stream sample index of the first pending sample
        self._start_s: float | None = None  # the first block's start_s
        self._text = ""  # the text so far (its end is the next prompt)

    @property
    def buffer_s(self) -> float:
        """Seconds of audio held for analysis (under ANALYSIS_S plus one block)."""
        return self._pending_samples / SAMPLE_RATE

    def feed(self, block: AudioBlock) -> Iterator[CaptionEvent]:
        """Add audio; return the captions of the windows it completes (decoded before returning)."""
        if self._start_s is None:
            self._start_s = block.start_s
        self._add(self._input.process(block))
        events: list[CaptionEvent] = []
        while self._pending_samples >= round(ANALYSIS_S * SAMPLE_RATE):
            events += self._analyse(final=False)
        return iter(events)

    def flush(self) -> Iterator[CaptionEvent]:
        """End of the recording: decode what is left, then start afresh (done before returning)."""
        self._add(self._input.flush())
        events = self._analyse(final=True) if self._pending_samples else []
        self.reset()
        return iter(events)

    def _add(self, samples: np.ndarray) -> None:
        if samples.size:
            self._pending.append(samples)
            self._pending_samples += samples.size

    def _analyse(self, final: bool) -> list[FinalCaption]:
        """Decode the windows of the first ANALYSIS_S of pending audio (all of it if `final`) that
        no later speech can join; keep the rest pending."""
        from faster_whisper.vad import get_speech_timestamps

        o = self.options
        pending = np.concatenate(self._pending)
        n = pending.size if final else round(ANALYSIS_S * SAMPLE_RATE)
        audio = pending[:n]
        regions = [
            (r["start"], r["end"])
            for r in get_speech_timestamps(audio, self._vad_options, SAMPLE_RATE)
        ]
        spans = _padded(regions, round(o.speech_pad_s * SAMPLE_RATE), n)
        keep_from = 0 if final else max(0, n - round(_TAIL_S * SAMPLE_RATE))
        if not final:
            # a region that may go on after this audio waits for the rest of it
            while regions and regions[-1][1] + round(o.min_silence_s * SAMPLE_RATE) > n:
                regions.pop()
                keep_from = min(keep_from, spans.pop()[0])
        windows = _pack(spans, regions, round(o.window_s * SAMPLE_RATE))
        if not final and windows and keep_from - spans[windows[-1][0]][0] <= n // 2:
            keep_from = spans[windows.pop()[0]][0]  # more speech may join the last window
        events = []
        for i, j in windows:
            if sum(end - start for start, end in regions[i:j]) < o.min_speech_s * SAMPLE_RATE:
                continue  # a click or a clatter on its own
            unspoken = spans[j - 1][1] - regions[j - 1][1]  # the padding after the last speech
            if (event := self._decode(audio, spans[i:j], unspoken)) is not None:
                events.append(event)
        rest = pending[keep_from:]
        self._pending = [rest] if rest.size else []
        self._pending_samples = rest.size
        self._pending_start += keep_from
        return events

    def _decode(
        self, audio: np.ndarray, spans: list[tuple[int, int]], unspoken: int
    ) -> FinalCaption | None:
        """Decode one window (the `spans` of `audio`, joined, the last `unspoken` samples after
        the speech); its caption, if any."""
        from faster_whisper.vad import SpeechTimestampsMap

        window = np.concatenate([audio[start:end] for start, end in spans])
        words = self._words(window, (window.size - unspoken) / SAMPLE_RATE)
        if not words or invented_final(words):  # nothing, or "Thank you." on a noise
            return None
        offset = (self._start_s or 0.0) + self._pending_start / SAMPLE_RATE
        segments = [{"start": start, "end": end} for start, end in spans]
        times = SpeechTimestampsMap(segments, SAMPLE_RATE, time_precision=3)
        placed = []
        for w in words:
            chunk = times.get_chunk_index((w.start_s + w.end_s) / 2)
            start = offset + times.get_original_time(w.start_s, chunk)
            end = offset + times.get_original_time(w.end_s, chunk)
            placed.append(w.moved(start, max(start, end)))
        text = "".join(w.text for w in placed).strip()
        self._text = _last_chars(self._text + " " + text, 2 * self.options.prompt_chars)
        if self.options.profanity_mask == "all":
            placed = masked(placed)
            text = "".join(w.text for w in placed).strip()
        return FinalCaption(text, placed[0].start_s, placed[-1].end_s, tuple(placed))

    def _words(self, window: np.ndarray, speech_end_s: float) -> list[Word]:
        """The words of one window, times from its start: its first Whisper window, then, while
        the text stops `_UNHEARD_S` before the speech does, the rest from the last word on."""
        words: list[Word] = []
        while True:
            start_s = words[-1].end_s if words else 0.0
            part = self.transcriber.transcribe(
                window[round(start_s * SAMPLE_RATE) :],
                prompt=self._prompt("".join(w.text for w in words)),
                vocabulary=self.options.vocabulary or None,
                beam_size=self.options.beam_size,
                fallback=True,
                short_window=False,
                first_window_only=True,
            )
            self.decodes += 1
            part = drop_invented_tail(
                [w.moved(w.start_s + start_s, w.end_s + start_s) for w in part]
            )
            words += part
            if (
                not part
                or words[-1].end_s <= start_s
                or words[-1].end_s > speech_end_s - _UNHEARD_S
            ):
                return words

    def _prompt(self, more: str = "") -> str | None:
        """The last `prompt_chars` of the text so far (and `more` after it), whole words only."""
        text = _last_chars(self._text + more, self.options.prompt_chars)
        if len(text) < len(self._text) + len(more):
            text = text.split(" ", 1)[-1]
        return text.strip() or None


def _last_chars(text: str, n: int) -> str:
    """The last `n` characters of `text` (none for 0)."""
    return text[len(text) - n :] if n < len(text) else text


def _padded(regions: list[tuple[int, int]], pad: int, n: int) -> list[tuple[int, int]]:
    """The regions with `pad` samples either side, or half the pause where it is shorter than two
    pads (as faster-whisper pads its speech chunks), within the `n` samples of the audio."""
    spans = []
    for i, (start, end) in enumerate(regions):
        before = start - regions[i - 1][1] if i else 2 * start
        after = regions[i + 1][0] - end if i + 1 < len(regions) else 2 * (n - end)
        spans.append((start - min(pad, before // 2), end + min(pad, after // 2)))
    return spans


def _pack(
    spans: list[tuple[int, int]], regions: list[tuple[int, int]], window: int
) -> list[tuple[int, int]]:
    """The spans grouped, in order, into windows of at most `window` samples of audio each, as
    index ranges (i, j): spans[i:j] is a window. A window that is not the last ends at the longest
    pause between its regions once it holds half a window of audio, so cuts fall between
    sentences rather than inside them."""
    windows: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        j, size, filled = i, 0, []
        while j < len(spans) and (j == i or size + spans[j][1] - spans[j][0] <= window):
            size += spans[j][1] - spans[j][0]
            filled.append(size)
            j += 1
        if j < len(spans):
            pause = [regions[k + 1][0] - regions[k][1] for k in range(i, j)]
            cuts = [k for k in range(i, j) if filled[k - i] >= window // 2] or [j - 1]
            j = max(cuts, key=lambda k: (pause[k - i], k)) + 1
        windows.append((i, j))
        i = j
    return windows


def caption_recording(
    blocks: Iterable[AudioBlock],
    transcriber: WhisperTranscriber,
    options: FileCaptionOptions | None = None,
) -> Iterator[CaptionEvent]:
    """Caption a finite recording given as blocks: feed them all, then flush."""
    captioner = FileCaptioner(transcriber, options)
    for block in blocks:
        yield from captioner.feed(block)
    yield from captioner.flush()


def caption_file(
    path: str | Path, transcriber: WhisperTranscriber, options: FileCaptionOptions | None = None
) -> Iterator[CaptionEvent]:
    """Caption an audio file (wav, flac, ogg, mp3, ...) at offline quality, read block by block."""
    from openhear.audio.files import iter_audio_file

    yield from caption_recording(iter_audio_file(path), transcriber, options)
