"""`openhear converse`: the relay. The other person's speech is captioned, your typed replies are
spoken.

Where the audio and the replies come from (stdin can carry only one of them):
- `--live`: the microphone; replies are typed on stdin and spoken on the sound card.
- `--input FILE` (or FILE): a recording; replies are lines on stdin, or `--replies FILE`.
- `-`: raw s16le PCM on stdin (`--rate`, `--channels`); replies only from `--replies FILE`.
A reply line may start with `[SECONDS]` to be sent at that point of the conversation (scripts).
Every final caption and reply is saved as it happens (see `openhear transcripts`).
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from openhear.commands._shared import (
    add_model_arguments,
    add_profanity_mask_argument,
    add_stdin_pcm_arguments,
    load_model,
    model_choice,
    open_replies,
    profanity_mask,
    stdin_blocks,
)
from openhear.commands.speak import add_voice_arguments, speech_options
from openhear.relay import ECHO_MODES

if TYPE_CHECKING:  # imported where used, so that `--help` and bad arguments answer at once
    from openhear.asr.streaming import StreamingCaptioner
    from openhear.asr.whisper import WhisperTranscriber
    from openhear.audio.block import AudioBlock
    from openhear.audio.sinks import Sink
    from openhear.relay.session import RelayEvent
    from openhear.relay.store import Entry


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "converse",
        parents=[common],
        help="relay a conversation: their speech captioned, your typed replies spoken, all saved",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "source",
        nargs="?",
        metavar="FILE|-",
        help="a recording of the other person, or - for raw PCM on stdin",
    )
    p.add_argument("--input", metavar="FILE", help="same as giving FILE")
    p.add_argument(
        "--live", action="store_true", help="caption the microphone and play replies until Ctrl-C"
    )
    p.add_argument(
        "--system",
        action="store_true",
        help="a call in any app: caption what this computer plays and speak replies into the "
        "virtual microphone 'openhear microphone', until Ctrl-C (Linux, PulseAudio or PipeWire)",
    )
    p.add_argument(
        "--duration",
        type=float,
        metavar="SECONDS",
        help="with --live or --system: end the conversation after SECONDS",
    )
    p.add_argument(
        "--replies", metavar="FILE", help="read typed replies from FILE instead of stdin"
    )
    add_stdin_pcm_arguments(p)
    p.add_argument(
        "--realtime", action="store_true", help="feed FILE at real-time pace, as a microphone would"
    )
    p.add_argument(
        "--play",
        action="store_true",
        help="speak replies on the sound card (always on with --live)",
    )
    add_relay_arguments(p)
    p.add_argument(
        "--echo",
        choices=ECHO_MODES,
        default="cancel",
        help="with --live, keep your spoken reply out of the captions: 'cancel' removes it from "
        "the microphone's sound so the other person is still captioned while it plays (default), "
        "'mute' stops captioning while it plays",
    )
    p.add_argument(
        "--input-device", metavar="DEVICE", help="microphone for --live (see `openhear devices`)"
    )
    p.add_argument(
        "--output-device", metavar="DEVICE", help="sound card for replies (see `openhear devices`)"
    )
    add_voice_arguments(p)
    p.set_defaults(func=run)


def add_relay_arguments(p: argparse.ArgumentParser, when: str = "first") -> None:
    """The notice, the conversation's label, the captioning model, language and profanity mask
    (shared with `call`); `when` says when the notice is spoken."""
    p.add_argument(
        "--disclosure",
        metavar="TEXT",
        help=f"the notice spoken {when} (default: a deaf person is using a computer voice)",
    )
    p.add_argument("--no-disclosure", action="store_true", help="do not speak the notice")
    p.add_argument("--title", default="", help="a label saved with the conversation")
    add_model_arguments(p)
    add_profanity_mask_argument(p)


def disclosure_text(args: argparse.Namespace) -> str:
    """The notice to speak ('' for none), from --disclosure and --no-disclosure."""
    from openhear.relay.session import DEFAULT_DISCLOSURE

    if args.no_disclosure:
        return ""
    return args.disclosure if args.disclosure is not None else DEFAULT_DISCLOSURE


class Printer:
    """Conversation lines to stdout as they are committed; the provisional caption on a
    terminal's stderr.

    Their captions are shown as sentences, as `openhear caption` shows them
    (openhear.asr.sentences): a final that goes on with the sentence is written on the same line,
    and a closing full stop is held back until the next final shows it was real (the stored lines
    keep what was committed; exports join them the same way). A line of theirs ends when a
    sentence does, or when anything else is shown (a reply, a correction, a status line)."""

    def __init__(self, quiet: bool = False):
        import threading

        self._lock = threading.Lock()
        self._interactive = sys.stderr.isatty()
        self._quiet = quiet
        self._line = ""
        """Their open line as shown (its held stop included); '' when none is open."""
        self._held = ""
        """The stop at the end of `_line` not yet written."""
        self._row = ""
        """What of `_line` is on the terminal's current row (redrawn after the provisional)."""

    def show(self, event: RelayEvent) -> None:
        from openhear.relay.session import RevisedEntry
        from openhear.relay.store import Entry

        with self._lock:
            if isinstance(event, RevisedEntry):  # the stored line was corrected: say so once
                self._end_line(stop=False)  # the correction shows how the sentence goes on
                print(f"  (corrected) {event.entry.speaker}: {event.entry.text}", flush=True)
            elif isinstance(event, Entry) and event.speaker == "them":
                self._caption(event)
            elif isinstance(event, Entry):
                self._end_line()
                print(f"{_clock(event.start_s)} {event.speaker}: {event.text}", flush=True)
            elif self._interactive:  # on the open line's row, cut to fit it: \r redraws one row
                width = shutil.get_terminal_size().columns
                if self._row and width - len(self._row) - 2 < 10:
                    self._next_row()
                room = max(1, width - len(self._row) - 2)
                gap = " " if self._row else ""
                sys.stderr.write(f"\r\033[K{self._row}{gap}\033[2m{event.text[-room:]}\033[0m")
                sys.stderr.flush()

    def status(self, message: str, warning: bool = False) -> None:
        """A line about the conversation itself on stderr (with --quiet, warnings only)."""
        with self._lock:
            self._end_line()
            if warning or not self._quiet:
                print(f"openhear: {message}", file=sys.stderr, flush=True)

    def _caption(self, entry: Entry) -> None:
        """Their final text: on the open line where it goes on with its sentence."""
        from openhear.asr.events import ends_sentence
        from openhear.asr.sentences import drop_invented_stop, goes_on

        text = entry.text.strip()
        if not text:
            return
        if self._line and goes_on(self._line, text):
            self._line, self._held = self._line[: len(self._line) - len(self._held)], ""
            piece = f" {text}"
        else:
            self._end_line()
            piece = f"{_clock(entry.start_s)} {entry.speaker}: {text}"
        self._redraw()
        self._line += piece
        self._held = piece[len(drop_invented_stop(piece)) :] if ends_sentence(piece) else ""
        shown = piece[: len(piece) - len(self._held)]
        width = shutil.get_terminal_size().columns
        if self._interactive and self._row and len(self._row) + len(shown) >= width:
            self._next_row()
        if self._line and not self._row:
            shown = shown.lstrip()  # the line goes on at the start of a row
        sys.stdout.write(shown)
        sys.stdout.flush()
        self._row += shown
        if ends_sentence(text) and not self._held:
            self._end_line()  # a question or exclamation mark: the sentence did end

    def _next_row(self) -> None:
        """The terminal's row is full: their line goes on below."""
        sys.stderr.write(f"\r\033[K{self._row}")
        sys.stderr.flush()
        sys.stdout.write("\n")
        sys.stdout.flush()
        self._row = ""

    def _redraw(self) -> None:
        """On a terminal, the provisional caption cleared and the open line's row shown again."""
        if self._interactive:
            sys.stderr.write(f"\r\033[K{self._row}")
            sys.stderr.flush()

    def _end_line(self, stop: bool = True) -> None:
        """Their open line ended, with its held stop unless `stop` is False (it is not known yet
        whether the sentence ends there); on a terminal, the provisional cleared."""
        self._redraw()
        if self._line:
            sys.stdout.write(f"{self._held if stop else ''}\n")
            sys.stdout.flush()
        self._line = self._held = self._row = ""


def _clock(seconds: float) -> str:
    minutes, s = divmod(seconds, 60)
    return f"[{int(minutes)}:{s:04.1f}]"


def run(args: argparse.Namespace) -> int:
    from openhear.errors import UsageError

    if args.input and args.source:
        raise UsageError("give the recording once: FILE or --input FILE")
    source = args.input or args.source
    if args.live + args.system + bool(source) != 1:
        raise UsageError(
            "say what to caption: --live, --system, --input FILE, or - for raw PCM on stdin"
        )
    if source == "-" and not args.replies:
        args.replies_from = None  # stdin carries the audio: no typed replies unless --replies
    else:
        args.replies_from = args.replies or "-"
    if args.realtime and (args.live or args.system or source == "-"):
        raise UsageError(
            "--realtime paces a FILE; stdin, --live and --system are already real time"
        )
    if args.duration is not None and (not (args.live or args.system) or not args.duration > 0):
        raise UsageError("--duration needs --live or --system and a positive number of seconds")
    model_choice(args)  # an English-only --model with another --language fails at once
    profanity_mask(args)
    blocks, clock, stop = _audio(args, source)
    if stop is None:
        return _converse(args, blocks, clock)
    from openhear.commands._signals import stop_on_signals

    with stop_on_signals(stop):  # a live source ends after its block: see commands._signals
        return _converse(args, blocks, clock)


def _audio(
    args: argparse.Namespace, source: str | None
) -> tuple[Iterable[AudioBlock], Callable[[], float] | None, Callable[[], None] | None]:
    """(blocks, clock, stop): the caption input, validated before any model loads, the
    conversation clock and, for a live source, what ends it."""
    from openhear.audio.files import audio_info, iter_audio_file

    if args.live:
        from openhear.audio.devices import device_arg
        from openhear.audio.sources import Microphone

        microphone = Microphone(device_arg(args.input_device), duration_s=args.duration)
        return microphone.blocks(), microphone.elapsed_s, microphone.stop
    if args.system:
        from openhear.audio.system import SystemAudio

        system = SystemAudio(args.input_device, duration_s=args.duration)
        return system.blocks(), system.elapsed_s, system.stop
    if source == "-":
        return stdin_blocks(args), None, None
    from openhear.asr.pacing import paced_blocks

    assert source is not None  # run() asks for --live, - or a FILE
    audio_info(source)
    blocks = iter_audio_file(source, block_frames=1600)
    return (paced_blocks(blocks) if args.realtime else blocks), None, None


def relay_captioner(
    args: argparse.Namespace, transcriber: WhisperTranscriber
) -> StreamingCaptioner:
    """The live captioner of the other person's speech, with `--profanity-mask` (shared with
    `call`)."""
    import dataclasses

    from openhear.asr.streaming import LIVE_OPTIONS, StreamingCaptioner

    options = dataclasses.replace(LIVE_OPTIONS, profanity_mask=profanity_mask(args))
    return StreamingCaptioner(transcriber, options)


def _converse(
    args: argparse.Namespace,
    blocks: Iterable[AudioBlock],
    clock: Callable[[], float] | None,
) -> int:
    from openhear.relay.replies import ReplyPlayer, ReplyReader, read_replies
    from openhear.relay.session import ConversationSession, RelayOptions
    from openhear.relay.store import TranscriptStore
    from openhear.tts.piper import load_voice
    from openhear.tts.text import TextError

    disclosure = disclosure_text(args)
    live = args.live or args.system
    options = RelayOptions(
        disclosure=disclosure,
        suppress_echo=args.live,  # a call app never plays our own voice back to us
        echo=args.echo,
        speech=speech_options(args),
        title=args.title,
    )
    play = live or args.play
    replies_stream = open_replies(args.replies_from)
    store = TranscriptStore()
    voice = load_voice(args.voice) if play else None
    sink = _reply_sink(args, voice.sample_rate) if voice is not None else None
    captioner = relay_captioner(args, load_model(args))
    printer = Printer(args.quiet)
    player = (
        ReplyPlayer(
            sink,
            on_error=lambda exc: printer.status(f"a reply was not spoken: {exc}", warning=True),
        )
        if sink is not None
        else None
    )
    with store:
        session = ConversationSession(store, captioner, voice, options, clock)
        printer.status(
            f"conversation {session.id} started"
            + ("; type a reply and press Enter" if live else "")
            + (_VIRTUAL_MICROPHONE_HINT if args.system else "")
        )

        def send(text: str) -> None:
            try:
                reply = session.say(text)
            except TextError as exc:
                printer.status(f"reply skipped: {exc}", warning=True)
                return
            printer.show(reply.entry)
            if player is not None:
                player.speak(reply)

        first = next(
            iter(blocks), None
        )  # opens the microphone, so the clock runs before the notice is spoken
        blocks = itertools.chain([first], blocks) if first is not None else iter(())
        if disclosure.strip():
            send(disclosure)
        reader = None
        if replies_stream is not None:
            live_send = (lambda reply: send(reply.text)) if live else None
            reader = ReplyReader(read_replies(replies_stream), on_reply=live_send)
        try:
            for block in blocks:
                if reader is not None:
                    for reply in reader.due(session.now_s()):
                        send(reply.text)
                for event in session.hear(block):
                    printer.show(event)
        except KeyboardInterrupt:
            pass  # Ctrl-C ends the conversation: commit what was heard
        finally:  # store everything held before showing any of it: stdout may be gone
            for event in list(session.close()):
                printer.show(event)
        if reader is not None and not live and (args.replies_from != "-" or not sys.stdin.isatty()):
            for reply in reader.due(
                session.now_s(), wait=True
            ):  # a script or a pipe: send what is left
                send(reply.text)
        if player is not None:
            player.close()
        printer.status(
            f"conversation {session.id} saved (`openhear transcripts show {session.id}`)"
        )
    return 0


_VIRTUAL_MICROPHONE_HINT = (
    "; replies are spoken into the microphone 'openhear microphone': choose it in your call app"
)


def _reply_sink(args: argparse.Namespace, sample_rate: int) -> Sink:
    """Where replies are spoken: the virtual microphone with --system, else the sound card."""
    if args.system:
        from openhear.audio.system import VirtualMicrophone

        return VirtualMicrophone(sample_rate)
    from openhear.audio.devices import device_arg
    from openhear.audio.sinks import DeviceSink

    return DeviceSink(sample_rate, device_arg(args.output_device))
