"""Reading the small text files of fitting (audiograms, profiles) with one-line errors."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openhear.errors import OpenhearError


def read_text(path: Path, what: str) -> str:
    """The text of a non-empty file, or an OpenhearError naming `what` it should have been."""
    if not path.exists():
        raise OpenhearError(f"no such {what}: {path}")
    if path.is_dir():
        raise OpenhearError(f"{path} is a directory, not a file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise OpenhearError(f"cannot read {what} {path} ({type(exc).__name__})") from None
    if not text.strip():
        raise OpenhearError(f"{what} {path} is empty")
    return text


MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects accepted in a fitting file (a profile nests 4 deep)."""


def parse_json(text: str) -> Any:
    """Parsed JSON, or an OpenhearError with the line of the mistake (or: nested too deep)."""
    too_deep = OpenhearError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OpenhearError(f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:  # deeper than the interpreter's recursion limit
        raise too_deep from None
    if _deeper_than(data, MAX_JSON_DEPTH):
        raise too_deep
    return data


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels (walked without recursion)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        children: Iterable[Any]
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
