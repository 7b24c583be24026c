"""One app over the session's real Whisper and Piper models, reached in-process by the
official openai client."""

from __future__ import annotations

import asyncio

import httpx
import openai
import pytest

from openhear.server import ServerOptions, create_app
from openhear.server.services import Services


@pytest.fixture(scope="session")
def services(tmp_path_factory, transcriber, voice) -> Services:
    """The models loaded once for every interface test (HTTP and Wyoming)."""
    return Services(
        data_dir=tmp_path_factory.mktemp("interfaces-data"), transcribers=[transcriber], voice=voice
    )


@pytest.fixture
def openai_client(services):
    """make(options, api_key): an openai.AsyncOpenAI talking to a fresh app over
    httpx.ASGITransport (no socket)."""

    def make(options: ServerOptions = ServerOptions(), api_key: str = "none") -> openai.AsyncOpenAI:
        app = create_app(options, services)
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://localhost"
        )
        return openai.AsyncOpenAI(
            api_key=api_key, base_url="http://localhost/v1", http_client=http, max_retries=0
        )

    return make


async def _wait(awaitable):
    return await awaitable


@pytest.fixture
def run():
    """Runs one awaitable to completion (the tests are plain functions; no async plugin needed)."""
    return lambda awaitable: asyncio.run(_wait(awaitable))
