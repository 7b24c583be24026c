"""Every HTTP error leaves the app as 4xx/5xx with one line of JSON, never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from openhear.errors import OpenhearError
from openhear.server.limits import validation_message
from openhear.server.security import BodyRefused, error_body
from openhear.storage import StorageError

log = logging.getLogger("openhear.server")


def json_error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    """A JSON error response in the app's one shape."""
    return JSONResponse(error_body(message, kind), status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """Maps user errors to 400, storage problems to 503 (naming no file), validation to 422,
    HTTP errors to themselves, the rest to one-line 500."""

    @app.exception_handler(OpenhearError)
    async def _user_error(request: Request, exc: OpenhearError) -> JSONResponse:
        return json_error(400, str(exc))

    @app.exception_handler(StorageError)
    async def _storage(request: Request, exc: StorageError) -> JSONResponse:
        log.error("%s", exc)  # the full message, with the file's path, stays in the server's log
        return json_error(503, exc.public, "server_error")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return json_error(422, validation_message(exc, ("body", "query", "path")))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        kind = "not_found" if exc.status_code == 404 else "invalid_request_error"
        return json_error(exc.status_code, str(exc.detail), kind)

    @app.exception_handler(BodyRefused)
    async def _body_refused(request: Request, exc: BodyRefused) -> JSONResponse:
        return json_error(exc.status, str(exc))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s", request.url.path)
        return json_error(500, f"internal error: {type(exc).__name__}", "server_error")
