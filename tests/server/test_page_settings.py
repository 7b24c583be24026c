"""What the page reads instead of writing it itself (`GET /api/settings`), and the renamed noise
sliders over HTTP: the new names, and the old ones that clients of version 1 still send."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from openhear.asr.events import SENTENCE_END_MARKS
from openhear.fitting.adjustments import NOISE_KINDS, SLIDER_RANGES
from openhear.relay.session import DEFAULT_DISCLOSURE
from openhear.server import ServerOptions, create_app
from openhear.server.services import Services


@pytest.fixture
def client(tmp_path):
    app = create_app(ServerOptions(), Services(data_dir=tmp_path / "data"))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def test_the_page_gets_the_slider_ranges_noise_kinds_and_sentence_ends(client):
    settings = client.get("/api/settings").json()
    assert settings["sliders"]["boost_db"] == {"low": -20, "high": 20, "step": 1, "unit": "dB"}
    assert set(settings["sliders"]) == set(SLIDER_RANGES)
    assert settings["noise_kinds"] == list(NOISE_KINDS)
    assert settings["sentence_end_marks"] == "".join(SENTENCE_END_MARKS)
    assert settings["disclosure"] == DEFAULT_DISCLOSURE  # the notice the page starts with


def test_the_sliders_accept_the_new_and_the_old_noise_names(client):
    listener = next(
        p for p in client.get("/api/fitting/presets").json()["presets"] if p["name"] == "N3"
    )
    assert client.put("/api/fitting/profile", json=listener).status_code == 200
    moved = client.post("/api/amplifier/adjust", json={"noise_kind": "spectral"}).json()
    assert moved["adjustments"]["noise_kind"] == "spectral"
    assert moved["adjustments"]["noise_strength"] == 0.5  # choosing a kind turns it on
    old = client.post("/api/amplifier/adjust", json={"noise_reduction": 0.2}).json()
    assert old["adjustments"]["noise_strength"] == 0.2
    assert client.get("/api/fitting/profile").json()["adjustments"]["noise_strength"] == 0.2
    both = client.post("/api/amplifier/adjust", json={"noise_reduction": 0.2, "noise_strength": 1})
    assert both.status_code == 400 and "old name" in both.json()["error"]["message"]
    too_strong = client.post("/api/amplifier/adjust", json={"noise_strength": 2})
    assert too_strong.status_code == 400
    assert "noise_strength must be from 0 to 1" in too_strong.json()["error"]["message"]
