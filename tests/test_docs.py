"""The documentation says what is there: links resolve, the examples are today's command line.

README.md and docs/*.md are what a new user reads first. These checks are static (no model, no
sound card): every relative link points to a file that exists, and to a heading that exists when
it names one; every `openhear ...` line in a shell example parses with the real argument parser
(so a renamed command or option fails here, not for the reader), and every command has one in
the README; every `make` target the README names is in the Makefile.
"""

from __future__ import annotations

import argparse
import re
import shlex
import unicodedata
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from openhear.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
INLINE_CODE = re.compile(r"`([^`\n]+)`")


@cache
def _parser() -> argparse.ArgumentParser:
    """openhear's real argument parser (built once: parsing leaves it unchanged)."""
    return build_parser()


def _page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def _prose(text: str) -> str:
    """The page without its fenced code blocks (a link inside code is not a link)."""
    return FENCE.sub("", text)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", _prose(page.read_text()), re.M)
    return {_slug(h) for h in headings}


def _links() -> list[tuple[Path, str]]:
    return [(page, target) for page in PAGES for target in LINK.findall(_prose(page.read_text()))]


def _params(pairs: Sequence[tuple[object, str | list[str]]]) -> list[Any]:
    """pytest parameters named `where: what`, short enough to read in a failure list."""
    named = []
    for where, what in pairs:
        label = where.name if isinstance(where, Path) else str(where).split(":")[0]
        shown = what if isinstance(what, str) else " ".join(what)
        named.append(pytest.param(where, what, id=f"{label}: {shown[:50]}"))
    return named


def test_there_are_pages_and_links() -> None:
    assert (ROOT / "docs").is_dir() and len(PAGES) > 1
    assert len(_links()) > 20


@pytest.mark.parametrize(("page", "target"), _params(_links()))
def test_relative_links_resolve(page: Path, target: str) -> None:
    if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...: not checked (offline)
        return
    path, _, anchor = target.partition("#")
    destination = (page.parent / path).resolve() if path else page
    assert destination.exists(), f"{_page_id(page)}: link to a missing file: {target}"
    assert ROOT in destination.parents or destination == ROOT, f"link leaves the repo: {target}"
    if anchor and destination.suffix == ".md":
        assert anchor in _anchors(destination), (
            f"{_page_id(page)}: no heading #{anchor} in {destination.name}"
        )


def _example_commands() -> list[tuple[str, list[str]]]:
    """Each `openhear ...` command in the shell examples of the pages, split like a shell."""
    found = []
    for page in PAGES:
        for lang, body in FENCE.findall(page.read_text()):
            if lang not in ("sh", "bash", "shell", ""):
                continue
            for line in body.replace("\\\n", " ").splitlines():
                if "openhear" not in line:
                    continue
                words = shlex.split(line, comments=True)
                # split pipelines and command lists into their commands
                command: list[str] = []
                for word in [*words, "|"]:
                    if word in ("|", "&&", ";"):
                        if command and command[0] == "openhear":
                            found.append((f"{_page_id(page)}: {line.strip()}", command[1:]))
                        command = []
                    else:
                        command.append(word)
    return found


@pytest.mark.parametrize(("where", "argv"), _params(_example_commands()))
def test_example_commands_parse(where: str, argv: list[str]) -> None:
    try:
        _parser().parse_args(argv)
    except SystemExit as exc:  # argparse's answer to an unknown command or option
        pytest.fail(f"{where}: does not parse (exit {exc.code})")


def _commands() -> set[str]:
    """The subcommands of `openhear` today."""
    (subcommands,) = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return set(subcommands.choices)


def test_every_command_has_an_example_in_the_readme() -> None:
    shown = {
        argv[0] for where, argv in _example_commands() if where.startswith("README.md") and argv
    }
    assert _commands() <= shown, f"commands without a README example: {_commands() - shown}"


def test_commands_named_in_prose_exist() -> None:
    commands = _commands()
    for page in PAGES:
        for code in INLINE_CODE.findall(_prose(page.read_text())):
            words = code.split()
            if (
                len(words) > 1
                and words[0] == "openhear"
                and re.fullmatch(r"[a-z][a-z-]*", words[1])
            ):
                assert words[1] in commands, f"{_page_id(page)}: `{code}` is not a command"


def test_readme_make_targets_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))
    named = {
        t for _, body in FENCE.findall(readme) for t in re.findall(r"^make ([\w-]+)", body, re.M)
    }
    assert {"demo", "test"} <= named, "the README's quick start names make targets"
    assert named <= targets, (
        f"make targets the README names but the Makefile lacks: {named - targets}"
    )
