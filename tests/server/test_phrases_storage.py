"""Saved phrases over HTTP under concurrency: one name added by many clients at once is saved once
(the others get 409), and a storage problem is a 503 that names no file on the server."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from openhear import storage
from openhear.server import ServerOptions, create_app
from openhear.server.runner import BackgroundServer
from openhear.server.services import Services
from server.test_http import one_line_error


@pytest.fixture
def server(tmp_path, monkeypatch):
    """The app without models over an empty data directory; a lock held for 0.5 s counts as busy."""
    monkeypatch.setattr(storage, "BUSY_TIMEOUT_S", 0.5)
    options = ServerOptions()
    running = BackgroundServer(create_app(options, Services(data_dir=tmp_path / "data")), options)
    yield running
    running.stop()


def test_ten_clients_adding_one_name_at_once_get_one_201_and_nine_409(server, tmp_path):
    together = threading.Barrier(10)

    def add(i: int) -> httpx.Response:
        together.wait()
        return httpx.post(
            f"{server.url}/api/phrases", json={"name": "door", "text": f"Who is there? ({i})"}
        )

    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(add, range(10)))
    assert sorted(r.status_code for r in responses) == [201] + [409] * 9
    for r in responses:
        assert str(tmp_path) not in r.text
        if r.status_code == 409:
            assert one_line_error(r) == "a phrase named 'door' already exists (remove it first)"
    assert [p["name"] for p in httpx.get(f"{server.url}/api/phrases").json()] == ["door"]


def test_a_storage_problem_is_a_503_that_names_no_file(server, tmp_path):
    holder = sqlite3.connect(tmp_path / "data" / "phrases.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock too long
    try:
        refused = httpx.post(f"{server.url}/api/phrases", json={"name": "hi", "text": "Hello."})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert refused.status_code == 503
    assert "locked" in one_line_error(refused)
    assert str(tmp_path) not in refused.text and "sqlite3" not in refused.text
    saved = httpx.post(f"{server.url}/api/phrases", json={"name": "hi", "text": "Hello."})
    assert saved.status_code == 201
