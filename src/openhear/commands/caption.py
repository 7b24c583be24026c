"""`openhear caption`: captions from a file, raw PCM on stdin, the microphone or the computer's
output."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

from openhear.commands._shared import (
    add_input_device_argument,
    add_model_arguments,
    add_profanity_mask_argument,
    add_stdin_pcm_arguments,
    int_option,
    load_model,
    model_choice,
    profanity_mask,
    progress_bar,
    stdin_blocks,
    usage,
)
from openhear.scale.cluster import ADDRESS_HELP

if TYPE_CHECKING:  # imported where used, so that `--help` and bad arguments answer at once
    from typing import Never

    from tqdm import tqdm

    from openhear.asr.events import CaptionEvent
    from openhear.asr.offline import FileCaptioner
    from openhear.asr.streaming import StreamingCaptioner
    from openhear.audio.block import AudioBlock
    from openhear.captions.console import ConsoleCaptions

DESCRIPTION = """\
Caption speech with Whisper, offline. FILE (wav, flac, ogg, mp3, ...) gives a transcript or a
subtitle file; `-` reads raw signed 16-bit PCM from stdin (--rate, --channels), --live the
microphone and --system what this computer plays (a call in any app): these print final captions
as they are committed (on a terminal the provisional caption is shown in place). --realtime feeds
FILE at real-time pace and prints every event with the time it was emitted, for latency
measurements. --ray captions a folder of recordings (or a .txt list of paths) on Ray Data into
OUTDIR, skipping those already done (needs `pip install 'openhear[scale]'`)."""


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "caption",
        parents=[common],
        help="caption speech from a file, stdin or the microphone",
        description=DESCRIPTION,
    )
    p.add_argument(
        "input", nargs="?", metavar="FILE", help="audio file, or - for raw s16le PCM on stdin"
    )
    p.add_argument(
        "-f", "--format", default="txt", help="output format: txt, srt, vtt or json (default txt)"
    )
    p.add_argument(
        "-o", "--output", metavar="OUT", help="write the captions to OUT instead of stdout"
    )
    add_stdin_pcm_arguments(p)
    p.add_argument("--live", action="store_true", help="caption the microphone until Ctrl-C")
    p.add_argument(
        "--system",
        action="store_true",
        help="caption what this computer plays (a call in any app) until Ctrl-C; Linux, "
        "PulseAudio or PipeWire",
    )
    add_input_device_argument(p, "the output device whose sound is captioned")
    p.add_argument(
        "--realtime",
        action="store_true",
        help="feed FILE at real-time pace; print events with emission times",
    )
    add_model_arguments(p)
    p.add_argument(
        "--vocabulary",
        action="append",
        default=[],
        metavar="WORDS",
        help="words or names to recognise more readily, comma-separated; may be repeated",
    )
    p.add_argument("--vocabulary-file", metavar="FILE", help="a file of such words, one per line")
    add_profanity_mask_argument(p)
    ray = p.add_argument_group("batch on Ray (openhear[scale])")
    ray.add_argument(
        "--ray",
        action="store_true",
        help="FILE is a folder (or a .txt list of paths): caption every recording in it on Ray "
        "Data into the folder -o OUTDIR, in each format of -f (comma-separated); finished "
        "recordings are skipped",
    )
    ray.add_argument("--address", metavar="ADDR", help=ADDRESS_HELP)
    ray.add_argument(
        "--actors", default="2", help="with --ray: captioning actors, one model each (default 2)"
    )
    ray.add_argument(
        "--actor-cpus", default="1", help="with --ray: CPUs each actor reserves (default 1)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from openhear.captions.writers import FORMATS

    if args.ray:
        return _batch(args)
    if args.address:
        raise usage("--address joins a Ray cluster: it goes with --ray")
    if args.format not in FORMATS:
        raise usage(f"unknown format {args.format!r} (choose from {', '.join(FORMATS)})")
    profanity_mask(args)
    if args.live + args.system + bool(args.input) != 1:
        raise usage("give an audio FILE, - for raw PCM on stdin, --live, or --system")
    if args.realtime and (args.live or args.system or args.input == "-"):
        raise usage("--realtime paces a FILE; stdin, --live and --system are already real time")
    model_choice(args)  # an English-only --model with another --language fails at once
    if args.output:
        from openhear.audio.outputs import check_output_file

        check_output_file(args.output)  # before the model loads: a bad OUT fails at once
    vocabulary = _vocabulary(args)
    if args.live or args.system:
        return _live(args, vocabulary)
    if args.input == "-":
        return _stdin(args, vocabulary)
    return _file(args, vocabulary)


def _vocabulary(args: argparse.Namespace) -> list[str]:
    from openhear.errors import OpenhearError

    words = [w for value in args.vocabulary for w in value.split(",")]
    if args.vocabulary_file:
        try:
            words += Path(args.vocabulary_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise OpenhearError(
                f"cannot read vocabulary file {args.vocabulary_file} ({reason})"
            ) from None
    return [w.strip() for w in words if w.strip()]


@overload
def _load(
    args: argparse.Namespace, vocabulary: list[str], live: Literal[True]
) -> StreamingCaptioner: ...
@overload
def _load(
    args: argparse.Namespace, vocabulary: list[str], live: Literal[False]
) -> FileCaptioner: ...
def _load(
    args: argparse.Namespace, vocabulary: list[str], live: bool
) -> StreamingCaptioner | FileCaptioner:
    """The captioner: the live one (frequent updates, bounded lag) or the file one (offline
    quality: whole windows of speech, no latency budget)."""
    import dataclasses
    import logging
    import time

    from openhear.asr.offline import FileCaptioner, FileCaptionOptions
    from openhear.asr.streaming import LIVE_OPTIONS, StreamingCaptioner

    t = time.perf_counter()
    transcriber = load_model(args)
    args.show_language = transcriber.language is None  # identified per utterance: say which
    logging.getLogger("openhear").info(
        "loaded Whisper model %s in %.2f s", transcriber.path, time.perf_counter() - t
    )
    mask = profanity_mask(args)
    if not live:
        options = FileCaptionOptions(vocabulary=vocabulary, profanity_mask=mask)
        return FileCaptioner(transcriber, options)
    return StreamingCaptioner(
        transcriber,
        dataclasses.replace(LIVE_OPTIONS, vocabulary=vocabulary, profanity_mask=mask),
    )


def _console(args: argparse.Namespace) -> ConsoleCaptions:
    from openhear.captions.console import ConsoleCaptions

    return ConsoleCaptions(
        sys.stdout,
        interactive=sys.stdout.isatty() and not args.output,
        show_language=getattr(args, "show_language", False),
    )


def _finish(args: argparse.Namespace, finals: list) -> None:
    from openhear.captions.cues import cues_from_finals
    from openhear.captions.writers import render, write

    cues = cues_from_finals(finals)
    if args.output:
        write(cues, args.format, args.output)
    else:
        sys.stdout.write(render(cues, args.format))


def _file(args: argparse.Namespace, vocabulary: list[str]) -> int:
    import logging
    import time

    from openhear.asr.events import FinalCaption
    from openhear.audio.files import audio_info, iter_audio_file

    path = Path(args.input)
    _, _, duration_s = audio_info(path)
    if args.realtime:
        live = _load(args, vocabulary, live=True)
        return _realtime(args, live, iter_audio_file(path, block_frames=_block_frames(path)))
    captioner = _load(args, vocabulary, live=False)
    progress = progress_bar(args, duration_s)
    finals = []
    t = time.perf_counter()
    for block in iter_audio_file(path):
        finals += [e for e in captioner.feed(block) if isinstance(e, FinalCaption)]
        if progress:
            progress.update(block.duration_s)
    finals += [e for e in captioner.flush() if isinstance(e, FinalCaption)]
    if progress:
        progress.close()
    elapsed = time.perf_counter() - t
    logging.getLogger("openhear").info(
        "captioned %.1f s of audio in %.1f s (real-time factor %.2f, %d decodes)",
        duration_s,
        elapsed,
        elapsed / max(duration_s, 1e-9),
        captioner.decodes,
    )
    _finish(args, finals)
    return 0


def _block_frames(path: Path) -> int:
    from openhear.audio.files import audio_info

    return max(1, audio_info(path)[0] // 50)  # 20 ms blocks, as a sound card delivers them


def _realtime(
    args: argparse.Namespace, captioner: StreamingCaptioner, blocks: Iterable[AudioBlock]
) -> int:
    from openhear.asr.events import FinalCaption, RevisedCaption, revised_finals
    from openhear.asr.pacing import paced_events
    from openhear.captions.console import ConsoleCaptions

    console = ConsoleCaptions(
        sys.stdout, interactive=False, timestamps=True, show_language=args.show_language
    )
    finals: list[FinalCaption | RevisedCaption] = []
    for emitted_s, event in paced_events(captioner, blocks):
        console.show(event, emitted_s)
        if isinstance(event, (FinalCaption, RevisedCaption)):
            finals.append(event)
    if args.output:
        _finish(args, revised_finals(finals))
    return 0


def _stream(
    args: argparse.Namespace,
    captioner: StreamingCaptioner | FileCaptioner,
    blocks: Iterable[AudioBlock],
) -> int:
    """Print finals (and the provisional line on a terminal) as they come; write OUT at the end,
    with the revisions applied."""
    from openhear.asr.events import FinalCaption, RevisedCaption, revised_finals

    console = _console(args)
    finals: list[FinalCaption | RevisedCaption] = []

    def handle(events: Iterable[CaptionEvent]) -> None:
        for event in events:
            if (
                isinstance(event, (FinalCaption, RevisedCaption)) and args.output
            ):  # kept only to write OUT: bounded otherwise
                finals.append(event)
            console.show(event)

    try:
        for block in blocks:
            handle(captioner.feed(block))
    except KeyboardInterrupt:
        pass  # Ctrl-C ends a live stream: commit what was heard
    handle(captioner.flush())
    console.close()
    if args.output:
        _finish(args, revised_finals(finals))
    return 0


def _stdin(args: argparse.Namespace, vocabulary: list[str]) -> int:
    blocks = stdin_blocks(args)
    captioner = _load(args, vocabulary, live=True)
    return _stream(args, captioner, blocks)


def _live(args: argparse.Namespace, vocabulary: list[str]) -> int:
    from openhear.audio.devices import device_arg
    from openhear.audio.sources import Microphone
    from openhear.audio.system import SystemAudio
    from openhear.commands._signals import stop_on_signals

    source: SystemAudio | Microphone
    if args.system:
        source = system = SystemAudio(args.device)
    else:
        source, system = Microphone(device_arg(args.device)), None
    captioner = _load(args, vocabulary, live=True)

    def started() -> None:
        if not args.quiet:
            print(f"openhear: captioning {source.name} (Ctrl-C to stop)", file=sys.stderr)

    if system is not None:
        system.on_start = started  # once recording: what plays from then on is captioned
    else:
        started()
    with stop_on_signals(source.stop):  # Ctrl-C ends the stream after its block: see _signals
        return _stream(args, captioner, source.blocks())


def _batch(args: argparse.Namespace) -> int:
    """`--ray`: every recording of a folder captioned on Ray Data into OUTDIR."""
    from openhear.captions.writers import FORMATS
    from openhear.scale.batch import BatchOptions, caption_batch, check_outdir, plan
    from openhear.scale.cluster import check_address, require_ray, start_ray

    if args.live or args.system or args.realtime or not args.input or args.input == "-":
        raise usage("--ray captions a folder (or a list of paths): give DIR and -o OUTDIR")
    if not args.output:
        raise usage("--ray writes one file per recording and format: give -o OUTDIR")
    formats = tuple(dict.fromkeys(f.strip() for f in args.format.split(",") if f.strip()))
    if bad := [f for f in formats if f not in FORMATS]:
        raise usage(f"unknown format {bad[0]!r} (choose from {', '.join(FORMATS)})")
    try:
        actor_cpus = float(args.actor_cpus)
    except ValueError:
        raise usage(f"--actor-cpus must be a number, got {args.actor_cpus!r}") from None
    options = BatchOptions(
        formats=formats,
        actors=int_option("--actors", args.actors),
        actor_cpus=actor_cpus,
        model=model_choice(args),
        vocabulary=tuple(_vocabulary(args)),
        language=args.language,
        profanity_mask=profanity_mask(args),
    )
    outdir = Path(args.output)
    todo, done = plan(Path(args.input), outdir, formats)
    require_ray()  # a missing extra, or a cluster not there, is said before anything is written
    if args.address:
        check_address(args.address)
    check_outdir(outdir)
    say = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr))
    say(f"openhear: {len(todo) + len(done)} recordings, {len(done)} already captioned")
    if not todo:
        return 0
    start_ray(args.address, quiet=not args.verbose)
    bar = _files_progress(args, len(todo))
    failed = 0
    audio_s = 0.0
    for outcome in caption_batch(todo, outdir, options):
        if outcome.error:
            failed += 1
            line = f"openhear: skipped {outcome.job.source}: {outcome.error}"
            if bar:
                bar.write(line, file=sys.stderr)
            else:
                print(line, file=sys.stderr)
        else:
            audio_s += outcome.audio_s
        if bar:
            bar.update()
    if bar:
        bar.close()
    say(
        f"openhear: captioned {len(todo) - failed} of {len(todo)} ({audio_s / 60:.1f} min of "
        f"audio) into {outdir}" + (f"; {failed} skipped (see above)" if failed else "")
    )
    return 1 if failed else 0


def _files_progress(args: argparse.Namespace, total: int) -> tqdm[Never] | None:
    """A progress bar over recordings, on a terminal only and not with --quiet."""
    if args.quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="file", file=sys.stderr, leave=False)
