"""A relay conversation: the other person's speech captioned, the user's typed replies spoken, one
transcript.

Final captions ("them") and replies ("me") are committed to the TranscriptStore the moment they
happen, so a crash loses nothing already shown as final; provisional captions are passed on for
display and never stored. When the captioner's revision pass rewrites an utterance, its stored
entries are replaced by one entry with the revised text (a RevisedEntry is reported), so the
stored transcript and its exports always hold the revised text. Times are seconds of
conversation, on the caption input's clock (the audio heard so far) unless a live clock is
given. A caption stream that joins later (the web page's microphone) is attached with `listen` at
the conversation time it starts. See openhear.relay.echo for echo suppression.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from openhear.asr.events import CaptionEvent, FinalCaption, ProvisionalCaption, RevisedCaption
from openhear.audio.block import AudioBlock
from openhear.relay import ECHO_MODES
from openhear.relay.echo import EchoCanceller, EchoGate
from openhear.relay.store import Entry, TranscriptStore
from openhear.tts.speech import SpeechOptions, Synthesizer
from openhear.tts.text import clean_text, require_text

if TYPE_CHECKING:
    from openhear.asr.streaming import StreamingCaptioner

DEFAULT_DISCLOSURE = "I'm deaf. A computer voice says what I type, and I read what you say."
"""Spoken to the other person when a conversation starts, so they know the voice is synthetic."""

_UTTERANCES_KEPT = 16
"""Utterances whose entries a caption input remembers for revisions (a revision only ever names
the latest one or two)."""


@dataclass(frozen=True)
class RevisedEntry:
    """Stored 'them' lines rewritten by the revision pass: `entry` replaces them all."""

    entry: Entry
    """The entry as stored now (it keeps the id of the first line it replaces)."""
    removed: tuple[int, ...]
    """Ids of the other entries it replaces, deleted from the store."""
    utterance: int
    """The captioner's utterance number (openhear.asr.events.RevisedCaption)."""
    replaced: str
    """The text shown until now."""


RelayEvent = ProvisionalCaption | Entry | RevisedEntry
"""What a session reports: a provisional caption to show (not stored), an entry just stored, or
stored entries just revised."""


@dataclass(frozen=True)
class RelayOptions:
    """How a relay conversation runs."""

    disclosure: str = DEFAULT_DISCLOSURE
    """Notice spoken (and stored as a 'me' line) when the conversation starts; '' for none."""
    suppress_echo: bool = True
    """Keep our own reply, heard back by the microphone, out of the captions (how: `echo`)."""
    echo: str = "cancel"
    """With `suppress_echo`: 'cancel' subtracts the reply from the caption input (acoustic echo
    cancellation: the other person is still captioned while it plays), 'mute' silences the caption
    input while it plays and for `echo_tail_ms` after (relay.ECHO_MODES)."""
    echo_tail_ms: float = 500.0
    """With echo 'mute': how long the caption input stays silenced after a reply's last sample,
    milliseconds."""
    speech: SpeechOptions = field(default_factory=SpeechOptions)
    """Voice rate, volume and pauses for replies."""
    title: str = ""
    """Label stored with the conversation."""

    def __post_init__(self) -> None:
        if self.echo not in ECHO_MODES:
            raise ValueError(f"echo must be one of {', '.join(ECHO_MODES)}, not {self.echo!r}")


class Reply:
    """A typed reply: stored the moment it is sent; iterating it synthesizes its audio sentence by
    sentence.

    Blocks carry conversation time (`start_s` from the moment it was sent). Hand them to the player
    as they come: each one extends the echo gate. When the last block is made, the stored end
    time is corrected to the real length of the speech.
    """

    def __init__(self, session: ConversationSession, entry: Entry, speech: SpeechOptions):
        self._session = session
        self.entry = entry
        """The stored 'me' line."""
        self.speech = speech
        """Voice rate, volume and pauses for this reply."""

    def __iter__(self) -> Iterator[AudioBlock]:
        s = self._session
        if s.synthesizer is None:
            return
        duration_s = 0.0
        for block in s.synthesizer.synthesize(self.entry.text, self.speech):
            if s.options.suppress_echo:
                s.echo.playing(s.now_s(), block)
            duration_s = block.end_s
            yield AudioBlock(block.samples, block.sample_rate, self.entry.start_s + block.start_s)
        s.store.set_end(self.entry.id, self.entry.start_s + duration_s)


class CaptionInput:
    """One stream of the other person's audio, joined to the conversation at `start_s`.

    Blocks come on the stream's own clock (seconds from its first sample) and go to the captioner
    and the echo gate on the conversation's, so the captioner's events, the entries stored and the
    events reported are all conversation time (after a flush too: the captioner carries on from
    the next block's time). The stream must be one unbroken recording from `start_s` (a live
    microphone): audio left out would put what follows early.
    """

    def __init__(
        self, session: ConversationSession, captioner: StreamingCaptioner, start_s: float
    ) -> None:
        self.session = session
        self.captioner = captioner
        """A StreamingCaptioner (feed / flush) of its own."""
        self.start_s = start_s
        """Conversation time of the stream's first sample, seconds."""
        self._entries: OrderedDict[int, list[int]] = OrderedDict()  # utterance -> entry ids
        self._utterance_of: dict[int, int] = {}  # entry id -> utterance

    def utterance(self, entry_id: int) -> int:
        """The captioner's utterance number of a recent 'them' entry (0: not known)."""
        return self._utterance_of.get(entry_id, 0)

    def hear(self, block: AudioBlock) -> Iterator[RelayEvent]:
        """Caption one block (stream time); final captions are stored before they are yielded."""
        s = self.session
        s._heard(self.start_s + block.end_s)
        block = AudioBlock(block.samples, block.sample_rate, self.start_s + block.start_s)
        if s.options.suppress_echo:
            block = s.echo.apply(block)
        for event in self.captioner.feed(block):
            yield from self._handle(event)

    def flush(self) -> Iterator[RelayEvent]:
        """Commit what the captioner holds (a pause or the end)."""
        for event in self.captioner.flush():
            yield from self._handle(event)

    def _handle(self, event: CaptionEvent) -> Iterator[RelayEvent]:
        s = self.session
        if isinstance(event, FinalCaption):
            if event.text.strip():
                entry = s.store.append(
                    s.id, "them", event.start_s, max(event.end_s, event.start_s), event.text.strip()
                )
                self._remember(event.utterance, entry.id)
                yield entry
        elif isinstance(event, RevisedCaption):
            ids = self._entries.get(event.utterance)
            if ids and event.text.strip():
                entry = s.store.revise(
                    ids, event.start_s, max(event.end_s, event.start_s), event.text.strip()
                )
                removed = tuple(ids[1:])
                for i in removed:
                    self._utterance_of.pop(i, None)
                del ids[1:]
                yield RevisedEntry(entry, removed, event.utterance, event.replaced)
        else:
            yield event

    def _remember(self, utterance: int, entry_id: int) -> None:
        if not utterance:
            return
        self._entries.setdefault(utterance, []).append(entry_id)
        self._entries.move_to_end(utterance)
        self._utterance_of[entry_id] = utterance
        while len(self._entries) > _UTTERANCES_KEPT:
            for i in self._entries.popitem(last=False)[1]:
                self._utterance_of.pop(i, None)


class ConversationSession:
    """One conversation: `start`, then `hear` caption-input blocks and `say` typed replies, then
    `close`.

    `hear` runs on one thread (it drives the captioner); `say` and iterating replies may run on
    others. `clock` gives the current conversation time in seconds; by default it is the end of
    the audio heard so far (right for files and scripted runs); a live session passes a wall clock
    started with the microphone. Further caption streams join with `listen`.
    """

    def __init__(
        self,
        store: TranscriptStore,
        captioner: StreamingCaptioner | None,
        synthesizer: Synthesizer | None,
        options: RelayOptions = RelayOptions(),
        clock: Callable[[], float] | None = None,
        conversation_id: int | None = None,
    ) -> None:
        """`captioner` (None: only streams attached with `listen`) feeds `hear`; `conversation_id`
        continues a stored conversation instead of creating one (an unknown id is a
        TranscriptError)."""
        self.store = store
        self.synthesizer = synthesizer
        """The voice for replies; None stores replies without speaking them."""
        self.options = options
        self.echo: EchoGate | EchoCanceller = (
            EchoCanceller()
            if options.suppress_echo
            and options.echo == "cancel"  # no reply heard back: no canceller
            else EchoGate(options.echo_tail_ms / 1000)
        )
        """Keeps replies out of the caption input: cancels their echo, or silences it."""
        self.conversation = (
            store.create_conversation(options.title)
            if conversation_id is None
            else store.conversation(conversation_id)
        )
        """The stored conversation."""
        self._heard_s = 0.0
        self._clock = clock or (lambda: self._heard_s)
        self._input = CaptionInput(self, captioner, 0.0) if captioner is not None else None

    @property
    def id(self) -> int:
        """The conversation's id in the store."""
        return self.conversation.id

    def now_s(self) -> float:
        """Current conversation time, seconds."""
        return self._clock()

    def _heard(self, until_s: float) -> None:
        self._heard_s = max(self._heard_s, until_s)

    def start(self) -> Reply | None:
        """Begin: the disclosure notice as the first reply (None if disabled)."""
        return self.say(self.options.disclosure) if self.options.disclosure.strip() else None

    def say(self, text: str, speech: SpeechOptions | None = None) -> Reply:
        """Store a typed reply now and return it, ready to be spoken (with `speech`, else the
        session's voice options); empty text is a TextError."""
        text = " ".join(clean_text(require_text(text)).split())
        now = self.now_s()
        return Reply(
            self, self.store.append(self.id, "me", now, now, text), speech or self.options.speech
        )

    def utterance(self, entry_id: int) -> int:
        """The utterance number the session's own captioner gave a recent 'them' entry, which
        a RevisedEntry names (0: not known)."""
        return self._input.utterance(entry_id) if self._input is not None else 0

    def listen(
        self,
        captioner: StreamingCaptioner,
        start_s: float | None = None,
        echo_removed: bool = False,
    ) -> CaptionInput:
        """A caption stream that joins at conversation time `start_s` (default: now),
        with its own captioner. `echo_removed`: the stream's replies' echo has been removed
        already (a browser's own canceller): the echo canceller lets it pass until it hears an
        echo (EchoCanceller.assume_unheard)."""
        if echo_removed and isinstance(self.echo, EchoCanceller):
            self.echo.assume_unheard()
        return CaptionInput(self, captioner, self.now_s() if start_s is None else start_s)

    def hear(self, block: AudioBlock) -> Iterator[RelayEvent]:
        """Caption one block of the other person's audio; final captions are stored
        before they are yielded."""
        return self._caption_input().hear(block)

    def close(self) -> Iterator[RelayEvent]:
        """End of the other person's audio: commit what the captioner still holds."""
        return self._caption_input().flush()

    def _caption_input(self) -> CaptionInput:
        if self._input is None:
            raise RuntimeError("this session has no captioner of its own: use listen()")
        return self._input
