"""The Hearing profile view imports a hearing-check result as it imports any audiogram file."""

from __future__ import annotations

import json
from datetime import datetime

from fastapi.testclient import TestClient

from openhear.fitting.audiometry import CheckOptions
from openhear.fitting.hearing_levels import Calibration
from openhear.fitting.hearing_results import result_document
from openhear.fitting.simulated_listener import (
    SimulatedListener,
    offset_listener,
    run_simulated_check,
)
from openhear.server import ServerOptions, create_app
from openhear.server.services import Services


def test_a_hearing_check_result_imports_into_the_profile_view(tmp_path):
    simulated = SimulatedListener(offset_listener("S1", 3), seed=3)
    result = run_simulated_check(simulated, Calibration().max_level_db_hl, CheckOptions(seed=3))
    doc = result_document(result, Calibration(), datetime(2026, 12, 2, 9, 0))
    app = create_app(ServerOptions(), Services(data_dir=tmp_path / "data"))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        answer = client.post(
            "/api/fitting/import", files={"file": ("check.json", json.dumps(doc).encode())}
        )
    assert answer.status_code == 200, answer.text
    chart = answer.json()
    assert chart["name"] == "hearing check 2026-12-02"
    at_1k = chart["left"]["frequencies_hz"].index(1000.0)
    assert chart["left"]["levels_db_hl"][at_1k] == result.left.at(1000.0).audiogram_db_hl
