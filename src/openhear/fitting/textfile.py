"""Reading the small text files of fitting (audiograms, profiles) with one-line errors."""

from __future__ import annotations

import json
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


def parse_json(text: str) -> Any:
    """Parsed JSON, or an OpenhearError with the line of the mistake."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise OpenhearError(f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
