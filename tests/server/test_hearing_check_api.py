"""The Hearing check view's API: a whole check answered over HTTP by a listener who judges each
tone by the digital level the page is told to play, the saved result, and bad requests."""

from __future__ import annotations

import math

import pytest
from fastapi.testclient import TestClient

from openhear.fitting.audiogram import Audiogram, Listener
from openhear.fitting.hearing_levels import retspl_db
from openhear.fitting.hearing_results import history
from openhear.server import ServerOptions, create_app
from openhear.server.services import Services

TRUTH = Listener(
    Audiogram([250, 500, 1000, 2000, 4000, 8000], [10, 15, 20, 30, 40, 50]),
    Audiogram([250, 500, 1000, 2000, 4000, 8000], [12, 12, 17, 22, 44, 61]),
)


@pytest.fixture
def client(tmp_path):
    app = create_app(ServerOptions(), Services(data_dir=tmp_path / "data"))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def presses(trial: dict, calibration: dict) -> list[float]:
    """Press 0.4 s after the onset when the tone, as played, is at or above the threshold."""
    if trial["rms_dbfs"] is None:
        return []
    db_spl = trial["rms_dbfs"] + calibration["db_spl_at_0dbfs"]
    db_hl = db_spl - retspl_db(calibration["headphone"], trial["frequency_hz"])
    threshold = TRUTH.ear(trial["ear"]).levels_at([trial["frequency_hz"]])[0]
    return [trial["onset_s"] + 0.4] if db_hl >= threshold - 0.01 else []


def test_a_whole_check_over_http_finds_the_thresholds_and_is_kept(client, tmp_path):
    started = client.post(
        "/api/hearing-check", json={"headphone": "insert", "calibration_db_spl": 104}
    ).json()
    calibration = started["calibration"]
    assert calibration["method"] == "stated" and "ISO 389-2" in calibration["text"]
    assert started["trial"]["number"] == 1 and started["trial"]["frequency_hz"] == 1000.0
    assert started["trial"]["ear"] == "right" and "not a diagnosis" in started["note"]
    trial, answer, steps = started["trial"], None, set()
    for _ in range(1000):
        answer = client.post(
            f"/api/hearing-check/{started['id']}/answer",
            json={"number": trial["number"], "presses_s": presses(trial, calibration)},
        ).json()
        if answer["trial"] is None:
            break
        trial = answer["trial"]
        steps.add(answer["progress"]["steps"])
    result = answer["result"]
    assert result["complete"] and result["reliable"] and result["saved"]
    for side in ("left", "right"):
        for t in result["ears"][side]:
            truth = float(TRUTH.ear(side).levels_at([t["frequency_hz"]])[0])
            assert t["level_db_hl"] == 5 * math.ceil(truth / 5 - 1e-9)
    assert result["audiogram"]["hearing_check"]["headphone"] == "insert"
    kept = history(tmp_path / "data")
    assert len(kept) == 1 and kept[0].calibration.db_spl_at_0dbfs == 104
    assert result["referrals"] == []  # symmetric enough, mild, and a first check
    # the check is closed
    again = client.post(f"/api/hearing-check/{started['id']}/answer", json={"number": 1})
    assert again.status_code == 400 and "no such hearing check" in again.json()["error"]["message"]


def test_a_stopped_check_is_gone(client):
    started = client.post("/api/hearing-check", json={}).json()
    assert client.delete(f"/api/hearing-check/{started['id']}").json() == {"stopped": True}
    assert client.delete(f"/api/hearing-check/{started['id']}").json() == {"stopped": False}


@pytest.mark.parametrize(
    "body, status, words",
    [
        ({"headphone": "earbuds"}, 400, "unknown headphone class"),
        ({"first_ear": "middle"}, 400, "left or right"),
        ({"calibration_db_spl": 500}, 400, "from 60 to 140"),
        ({"calibration_db_spl": "loud"}, 422, "calibration_db_spl"),
    ],
)
def test_bad_starts_are_one_line_errors(client, body, status, words):
    answer = client.post("/api/hearing-check", json=body)
    assert answer.status_code == status and words in answer.json()["error"]["message"]


def test_bad_answers_are_one_line_errors(client):
    key = client.post("/api/hearing-check", json={}).json()["id"]
    url = f"/api/hearing-check/{key}/answer"
    for body, status, words in [
        ({"number": 7}, 400, "not the current one"),
        ({"number": 0}, 422, "number"),
        ({"number": 1, "presses_s": [0.5] * 51}, 422, "presses_s"),
        ({"number": 1, "presses_s": ["soon"]}, 422, "presses_s"),
    ]:
        answer = client.post(url, json=body)
        assert answer.status_code == status and words in answer.json()["error"]["message"], body
    nan = client.post(
        url,
        content=b'{"number": 1, "presses_s": [NaN]}',
        headers={"content-type": "application/json"},
    )
    assert nan.status_code == 422
    unknown = client.post("/api/hearing-check/nope/answer", json={"number": 1})
    assert unknown.status_code == 400


def test_only_the_newest_checks_stay_open(client):
    keys = [client.post("/api/hearing-check", json={}).json()["id"] for _ in range(5)]
    first = client.post(f"/api/hearing-check/{keys[0]}/answer", json={"number": 1})
    assert first.status_code == 400
    last = client.post(f"/api/hearing-check/{keys[-1]}/answer", json={"number": 1})
    assert last.status_code == 200
