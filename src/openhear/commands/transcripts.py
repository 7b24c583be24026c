"""`openhear transcripts`: read, export and delete stored conversations."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openhear.relay.store import TranscriptStore


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "transcripts", parents=[common], help="list, show, export or delete saved conversations"
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    ls = actions.add_parser("list", parents=[common], help="list saved conversations")
    ls.set_defaults(func=run_list)

    show = actions.add_parser(
        "show", parents=[common], help="print a conversation with times and speakers"
    )
    show.add_argument("id", help="conversation id (see `list`)")
    show.set_defaults(func=run_show)

    export = actions.add_parser(
        "export", parents=[common], help="export a conversation as txt, srt, vtt or json"
    )
    export.add_argument("id", help="conversation id (see `list`)")
    export.add_argument(
        "-f",
        "--format",
        choices=("txt", "srt", "vtt", "json"),
        default="txt",
        help="document format (default txt)",
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    export.set_defaults(func=run_export)

    rm = actions.add_parser(
        "rm", aliases=["remove"], parents=[common], help="delete a conversation"
    )
    rm.add_argument("id", help="conversation id (see `list`)")
    rm.set_defaults(func=run_rm)


def _store() -> TranscriptStore:
    from openhear.relay.store import TranscriptStore

    return TranscriptStore()


def _clock(seconds: float) -> str:
    minutes, s = divmod(seconds, 60)
    return f"{int(minutes)}:{s:04.1f}"


def run_list(args: argparse.Namespace) -> int:
    from openhear.captions.writers import one_line

    with _store() as store:
        conversations = store.list_conversations()
    if not conversations:
        print("no saved conversations (start one with `openhear converse`)")
    for c in conversations:
        title = f"  {one_line(c.title)}" if c.title else ""
        print(
            f"{c.id:4d}  {c.started_at}  {_clock(c.duration_s):>7}  {_lines(c.entries):>10}{title}"
        )
    return 0


def run_show(args: argparse.Namespace) -> int:
    from openhear.captions.writers import one_line
    from openhear.relay.export import transcript_cues

    with _store() as store:
        transcript = store.get(args.id)
    for cue in transcript_cues(transcript):
        print(f"[{_clock(cue.start_s)}] {(cue.speaker or '').lower()}: {one_line(cue.text)}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from openhear.audio.outputs import check_output_file
    from openhear.captions.writers import save_document
    from openhear.relay.export import export_transcript

    to_file = args.output and args.output != "-"
    if to_file:
        check_output_file(args.output)  # before the store is opened

    with _store() as store:
        document = export_transcript(store.get(args.id), args.format)
    if not to_file:
        sys.stdout.write(document)
    else:
        save_document(document, args.output)
    return 0


def run_rm(args: argparse.Namespace) -> int:
    with _store() as store:
        c = store.delete(args.id)
    print(f"deleted conversation {c.id} ({_lines(c.entries)})")
    return 0


def _lines(n: int) -> str:
    return f"{n} line" if n == 1 else f"{n} lines"
