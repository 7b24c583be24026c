"""`openhear alerts`: sound alerts from a file, raw PCM on stdin, or the microphone."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from openhear.commands._shared import (
    add_input_device_argument,
    add_language_argument,
    add_stdin_pcm_arguments,
    choose_model,
    progress_bar,
    stdin_blocks,
    usage,
)

if TYPE_CHECKING:
    from openhear.alerts.detector import SoundAlertDetector
    from openhear.alerts.events import Alert
    from openhear.alerts.webhook import Webhook
    from openhear.alerts.words import WordSpotter
    from openhear.asr.offline import FileCaptioner
    from openhear.asr.streaming import StreamingCaptioner
    from openhear.asr.whisper import WhisperTranscriber
    from openhear.audio.block import AudioBlock

DESCRIPTION = """\
Watch for sounds a person should not miss: smoke, fire and carbon monoxide alarms, sirens, the
doorbell, knocking, a baby crying, shouting, glass breaking, a phone, an appliance beeping, a dog,
water running; with --name or --words, also the person's name in live captions. Prints one
timestamped line per alert (life-safety alarms ring the terminal bell in reverse video), or JSON
lines with --json. FILE is any audio file; `-` reads raw signed 16-bit PCM from stdin (--rate,
--channels); --live listens to the microphone and --system to what this computer plays, until
Ctrl-C. Offline: YAMNet and the alarm-pattern detector run on this computer, and nothing is sent
anywhere unless --webhook names a URL (each alert is then POSTed there as JSON)."""


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "alerts",
        parents=[common],
        help="alert on alarms, the doorbell, a baby, a dog, ... and your name",
        description=DESCRIPTION,
    )
    p.add_argument(
        "input", nargs="?", metavar="FILE", help="audio file, or - for raw s16le PCM on stdin"
    )
    p.add_argument("--live", action="store_true", help="listen to the microphone until Ctrl-C")
    p.add_argument(
        "--system",
        action="store_true",
        help="listen to what this computer plays until Ctrl-C; Linux, PulseAudio or PipeWire",
    )
    add_input_device_argument(p, "the output device whose sound is listened to")
    add_stdin_pcm_arguments(p)
    p.add_argument(
        "--sounds",
        metavar="LIST",
        help="comma-separated sounds to alert on (default: all; see --list-sounds)",
    )
    p.add_argument(
        "--list-sounds", action="store_true", help="list the sounds and their priorities, then exit"
    )
    p.add_argument(
        "--name",
        action="append",
        default=[],
        metavar="NAME",
        help="alert when NAME is said (runs live captions alongside); may be repeated",
    )
    p.add_argument(
        "--words",
        action="append",
        default=[],
        metavar="WORDS",
        help='comma-separated words or phrases to alert on like a name ("mum,help,fire")',
    )
    p.add_argument("--json", action="store_true", help="print one JSON object per alert")
    add_webhook_argument(p)
    p.add_argument(
        "--model",
        metavar="PATH",
        help="a YAMNet-format TFLite model (default: the bundled YAMNet)",
    )
    add_language_argument(
        p,
        "language the name watch listens in: a code such as en, fr, de, es, or auto (default "
        "en; any other uses the multilingual Whisper base model of openhear[languages])",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from openhear.alerts.sounds import select_sounds

    if args.list_sounds:
        return _list_sounds()
    if args.live + args.system + bool(args.input) != 1:
        raise usage("give an audio FILE, - for raw PCM on stdin, --live, or --system")
    words = _words(args)
    sounds = select_sounds(args.sounds)
    if "name" in sounds and not words:
        raise usage("the name alert needs --name or --words")
    if words and "name" not in sounds:
        sounds += ("name",)
    if args.language and not words:
        raise usage("--language is the language of the name watch: it goes with --name or --words")
    webhook = _webhook(args)  # a bad URL fails before any model loads
    try:
        if args.live or args.system:
            return _live(args, sounds, words, webhook)
        if args.input == "-":
            return _stdin(args, sounds, words, webhook)
        return _file(args, sounds, words, webhook)
    finally:
        if webhook:
            webhook.close()


def add_webhook_argument(p: argparse.ArgumentParser) -> None:
    """`--webhook URL` (on `openhear alerts` and `openhear serve`)."""
    p.add_argument(
        "--webhook",
        metavar="URL",
        help="POST each alert as JSON to this http(s) URL (for example a Home Assistant webhook); "
        "nothing is sent anywhere without it",
    )


def _webhook(args: argparse.Namespace) -> Webhook | None:
    if not args.webhook:
        return None
    from openhear.alerts.webhook import Webhook

    return Webhook(args.webhook)


def _list_sounds() -> int:
    from openhear.alerts.sounds import SOUNDS

    for sound in SOUNDS.values():
        print(f"{sound.key:10s} {sound.priority.name.lower():12s} {sound.label}")
    return 0


def _words(args: argparse.Namespace) -> list[str]:
    if any(not n.strip() for n in args.name):
        raise usage("--name needs a name")
    listed = [w.strip() for value in args.words for w in value.split(",") if w.strip()]
    if args.words and not listed:
        raise usage("--words needs at least one word")
    return [n.strip() for n in args.name] + listed


def _detector(args: argparse.Namespace, sounds: tuple[str, ...]) -> SoundAlertDetector | None:
    """The sound-alert detector for the sounds other than `name` (None if only `name` is asked)."""
    from openhear.alerts.detector import SoundAlertDetector, needs_classifier
    from openhear.alerts.yamnet import YamnetModel

    listened = tuple(s for s in sounds if s != "name")
    model = YamnetModel(args.model) if args.model or needs_classifier(listened) else None
    return SoundAlertDetector(model, listened) if listened else None


def _transcriber(language: str | None) -> WhisperTranscriber:
    """The Whisper model of the name watch: tiny.en, or base for another `language`."""
    from openhear.commands._shared import load_choice

    return load_choice(choose_model(None, language), language)


def _live_captions(
    words: list[str], language: str | None
) -> tuple[StreamingCaptioner, WordSpotter] | None:
    """(live captioner, spotter) for the name alert, or None without words."""
    if not words:
        return None
    import dataclasses

    from openhear.alerts.words import WordSpotter
    from openhear.asr.streaming import LIVE_OPTIONS, StreamingCaptioner

    options = dataclasses.replace(LIVE_OPTIONS, vocabulary=words)
    return StreamingCaptioner(_transcriber(language), options), WordSpotter(words)


def _file_captions(
    words: list[str], language: str | None
) -> tuple[FileCaptioner, WordSpotter] | None:
    """(file captioner, spotter) for the name alert in a recording, or None without words."""
    if not words:
        return None
    from openhear.alerts.words import WordSpotter
    from openhear.asr.offline import FileCaptioner, FileCaptionOptions

    options = FileCaptionOptions(vocabulary=tuple(words))
    return FileCaptioner(_transcriber(language), options), WordSpotter(words)


def _console(
    args: argparse.Namespace, wall_clock: bool, webhook: Webhook | None
) -> Callable[[Alert], None]:
    """Shows an alert on the console and hands it to the webhook (if any)."""
    from openhear.alerts.console import AlertConsole
    from openhear.alerts.events import alert_record

    console = AlertConsole(sys.stdout, sys.stdout.isatty(), args.json, wall_clock)
    if webhook is None:
        return console.show

    def show(alert: Alert) -> None:
        console.show(alert)
        webhook.send(alert_record(alert))

    return show


def _file(
    args: argparse.Namespace, sounds: tuple[str, ...], words: list[str], webhook: Webhook | None
) -> int:
    from openhear.audio.files import audio_info, iter_audio_file

    path = Path(args.input)
    _, _, duration_s = audio_info(path)  # a bad file fails here, before any model loads
    detector = _detector(args, sounds)
    captions = _file_captions(words, args.language)
    notify = _console(args, wall_clock=False, webhook=webhook)
    progress = progress_bar(args, duration_s)
    shown = 0

    def show(alerts: Iterable[Alert]) -> None:
        nonlocal shown
        for alert in alerts:
            with progress.external_write_mode() if progress else contextlib.nullcontext():
                notify(alert)
                shown += 1

    for block in iter_audio_file(path):
        if detector:
            show(detector.feed(block))
        if captions:
            captioner, spotter = captions
            show(a for event in captioner.feed(block) for a in spotter.update(event))
        if progress:
            progress.update(block.duration_s)
    if detector:
        show(detector.flush())
    if captions:
        captioner, spotter = captions
        show(a for event in captioner.flush() for a in spotter.update(event))
    if progress:
        progress.close()
    if not args.quiet and not shown:
        print(f"openhear: no alerts in {path} ({duration_s:.1f} s)", file=sys.stderr)
    return 0


def _stream(
    args: argparse.Namespace,
    sounds: tuple[str, ...],
    words: list[str],
    blocks: Iterable[AudioBlock],
    live: bool,
    webhook: Webhook | None,
) -> int:
    """Alerts from a real-time stream; captions (for the name) run on their own thread."""
    from openhear.alerts.live import CaptionWatcher

    detector = _detector(args, sounds)
    captions = _live_captions(words, args.language)
    notify = _console(args, wall_clock=live, webhook=webhook)
    watcher = CaptionWatcher(*captions, notify) if captions else None
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends a live stream
            for block in blocks:
                if detector:
                    for alert in detector.feed(block):
                        notify(alert)
                if watcher:
                    watcher.put(block)
        if detector:
            for alert in detector.flush():
                notify(alert)
    finally:
        if watcher:
            watcher.close()
    return 0


def _stdin(
    args: argparse.Namespace, sounds: tuple[str, ...], words: list[str], webhook: Webhook | None
) -> int:
    blocks = stdin_blocks(args)  # bad options fail before any model loads
    return _stream(args, sounds, words, blocks, False, webhook)


def _live(
    args: argparse.Namespace, sounds: tuple[str, ...], words: list[str], webhook: Webhook | None
) -> int:
    """The microphone (--live) or what this computer plays (--system), until Ctrl-C."""
    from openhear.audio.devices import device_arg
    from openhear.audio.sources import Microphone
    from openhear.audio.system import SystemAudio
    from openhear.commands._signals import stop_on_signals

    source: SystemAudio | Microphone
    if args.system:
        source = system = SystemAudio(args.device)
    else:
        source, system = Microphone(device_arg(args.device)), None

    def started() -> None:
        if not args.quiet:
            heard = f"to {source.name}" if system is not None else f"on {source.name}"
            print(
                f"openhear: listening {heard} for {', '.join(sounds)} (Ctrl-C to stop)",
                file=sys.stderr,
            )

    if system is not None:
        system.on_start = started  # once recording: what plays from then on is heard
    else:
        started()
    with stop_on_signals(source.stop):  # Ctrl-C ends the stream after its block: see _signals
        return _stream(args, sounds, words, source.blocks(), True, webhook)
