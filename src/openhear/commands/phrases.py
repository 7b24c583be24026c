"""`openhear phrases`: saved phrases to speak by name or number (add, list, remove, speak)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from openhear.commands.speak import add_output_arguments, speak

if TYPE_CHECKING:
    from openhear.tts.phrasebook import Phrasebook


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "phrases", parents=[common], help="save phrases and speak them by name or number"
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", parents=[common], help="save a phrase under a name")
    add.add_argument("name", help="short name (not only digits)")
    add.add_argument("text", help="the words to speak")
    add.set_defaults(func=run_add)

    ls = actions.add_parser("list", parents=[common], help="list saved phrases with their numbers")
    ls.set_defaults(func=run_list)

    rm = actions.add_parser(
        "remove", aliases=["rm"], parents=[common], help="delete a saved phrase"
    )
    rm.add_argument("phrase", help="name or number")
    rm.set_defaults(func=run_remove)

    say = actions.add_parser("speak", parents=[common], help="speak a saved phrase")
    say.add_argument("phrase", help="name or number")
    add_output_arguments(say)
    say.set_defaults(func=run_speak)


def _book() -> Phrasebook:
    from openhear.tts.phrasebook import Phrasebook

    return Phrasebook()


def run_add(args: argparse.Namespace) -> int:
    with _book() as book:
        phrase = book.add(args.name, args.text)
    print(f"saved {phrase.number}: {phrase.name}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    with _book() as book:
        phrases = book.list()
    if not phrases:
        print('no saved phrases (add one with `openhear phrases add NAME "TEXT"`)')
    for p in phrases:
        print(f"{p.number:3d}  {p.name}: {p.text}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    with _book() as book:
        phrase = book.remove(args.phrase)
    print(f"removed {phrase.number}: {phrase.name}")
    return 0


def run_speak(args: argparse.Namespace) -> int:
    with _book() as book:
        phrase = book.get(args.phrase)
    return speak(args, phrase.text)
