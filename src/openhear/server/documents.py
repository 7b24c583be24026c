"""Caption and transcript documents as downloads (the writers live in openhear.captions)."""

from __future__ import annotations

from typing import Literal

from fastapi.responses import Response

DocumentFormat = Literal["txt", "srt", "vtt", "json"]
MEDIA_TYPES = {
    "txt": "text/plain",
    "srt": "application/x-subrip",
    "vtt": "text/vtt",
    "json": "application/json",
}


def document_response(text: str, fmt: str, stem: str) -> Response:
    """`text` offered as the download `stem.fmt` with the format's media type."""
    return Response(
        text.encode("utf-8"),
        media_type=f"{MEDIA_TYPES[fmt]}; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{stem}.{fmt}"'},
    )
