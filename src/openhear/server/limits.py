"""What any input to the server may hold: JSON nesting, numbers and ids within range.

Request bodies and WebSocket control messages are measured before they are parsed (a deep JSON
document would exhaust Python's recursion), every request model refuses NaN and infinities, and
ids are positive 64-bit integers, as SQLite stores them.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, ValidationError

MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects accepted in a JSON body or message (the app's own
documents nest 3 deep)."""
MAX_ROW_ID = 2**63 - 1
"""Largest id SQLite can store (a signed 64-bit integer); ids start at 1."""
MAX_DEVICE_INDEX = 2**31 - 1
"""Largest sound device index PortAudio can be asked for (a C int)."""

_JSON_TOKEN = re.compile(rb'\\.|["\[\]{}]', re.DOTALL)
"""What changes the nesting: brackets, quotes (strings hide brackets), and escapes (hide quotes)."""


class JsonTooDeep(ValueError):
    """JSON nested deeper than MAX_JSON_DEPTH."""


class JsonDepth:
    """Measures the nesting of JSON text fed in pieces, without parsing it (invalid JSON is the
    parser's to report); raises JsonTooDeep as soon as it passes `limit`."""

    def __init__(self, limit: int = MAX_JSON_DEPTH):
        self.limit = limit
        self._depth = 0
        self._in_string = False
        self._carry = b""  # a backslash at the end of a piece escapes the next piece's first byte

    def feed(self, data: bytes | str) -> None:
        """Takes the next piece of the document."""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        data, self._carry = self._carry + data, b""
        end = 0
        for token in _JSON_TOKEN.finditer(data):
            end = token.end()
            char = token.group()
            if char == b'"':
                self._in_string = not self._in_string
            elif self._in_string or len(char) == 2:
                continue
            elif char in b"[{":
                self._depth += 1
                if self._depth > self.limit:
                    raise JsonTooDeep(f"JSON nested more than {self.limit} levels deep")
            else:
                self._depth -= 1
        if data[end:].endswith(b"\\"):
            self._carry = b"\\"


def check_json_depth(text: bytes | str, limit: int = MAX_JSON_DEPTH) -> None:
    """Raises JsonTooDeep when the JSON document `text` nests deeper than `limit`."""
    JsonDepth(limit).feed(text)


def is_row_id(value: int) -> bool:
    """True for an id SQLite could hold (1 to MAX_ROW_ID); any other names nothing."""
    return 1 <= value <= MAX_ROW_ID


class RequestModel(BaseModel):
    """Base of every request model: numbers must be finite (JSON's NaN and Infinity extensions,
    which Python's parser accepts, are refused)."""

    model_config = ConfigDict(allow_inf_nan=False)


def validation_problem(
    exc: ValidationError | RequestValidationError, ignore: Collection[str] = ()
) -> tuple[str, str]:
    """(where, what) of the first problem pydantic found in a request: the dotted location of the
    field (without the parts in `ignore`, such as FastAPI's "body"; "" for the whole input) and
    pydantic's message."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ignore)
    return where, str(first.get("msg", "invalid value"))


def validation_message(
    exc: ValidationError | RequestValidationError, ignore: Collection[str] = ()
) -> str:
    """The first problem as one line: "where: what", or "what" for the whole input."""
    where, what = validation_problem(exc, ignore)
    return f"{where}: {what}" if where else what
