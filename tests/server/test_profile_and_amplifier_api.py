"""The hearing-profile and amplifier APIs (no models needed): presets and prescriptions, audiogram
import, listening before / after / through the loss, saving, and the amplifier without a sound
card."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import soundfile as sf
from conftest import BAD_SAMPLES
from fastapi.testclient import TestClient

from openhear.server import ServerOptions, create_app
from openhear.server.services import Services


@pytest.fixture
def client(tmp_path):
    app = create_app(ServerOptions(), Services(data_dir=tmp_path / "data"))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def preset(client, name):
    return next(
        p for p in client.get("/api/fitting/presets").json()["presets"] if p["name"] == name
    )


def rms_db(wav: bytes) -> float:
    samples, _ = sf.read(io.BytesIO(wav))
    return 20 * np.log10(np.sqrt(np.mean(samples**2)))


def test_more_hearing_loss_is_prescribed_more_gain(client):
    mild = client.post("/api/fitting/prescribe", json=preset(client, "N2")).json()
    moderate = client.post("/api/fitting/prescribe", json=preset(client, "N4")).json()
    assert mild["frequencies_hz"][0] == 250 and mild["frequencies_hz"][-1] == 8000
    for level in ("50", "65", "80"):
        assert sum(moderate["gains_db"]["left"][level]) > sum(mild["gains_db"]["left"][level])
    # Soft speech gets more gain than loud speech (compression).
    assert sum(mild["gains_db"]["right"]["50"]) > sum(mild["gains_db"]["right"]["80"])


def test_audiograms_import_from_csv_and_bad_files_are_one_line_errors(client):
    csv = b"frequency,left,right\n250,10,20\n500,20,30\n1000,30,40\n2000,40,50\n4000,50,60\n"
    imported = client.post("/api/fitting/import", files={"file": ("mine.csv", csv)}).json()
    assert imported["name"] == "mine" and imported["left"]["levels_db_hl"][3] == 30.0  # 1 kHz
    for content, words in [
        (b"", "empty"),
        (b"\xff\xfe\x00garbage", "UTF-8"),
        (b'{"left": 3}', "left"),
        (b"[" * 100_000 + b"]" * 100_000, "nested"),
        (b"garbage, not JSON", "not valid JSON"),
    ]:
        answer = client.post("/api/fitting/import", files={"file": ("x.json", content)})
        assert answer.status_code == 400 and words in answer.json()["error"]["message"]
    narrow = {
        "left": {"frequencies_hz": [1000], "levels_db_hl": [20]},
        "right": preset(client, "N1")["right"],
    }
    answer = client.post("/api/fitting/prescribe", json=narrow)
    assert answer.status_code == 400 and "500 to 4000 Hz" in answer.json()["error"]["message"]


@pytest.mark.slow
def test_listening_before_after_and_through_the_loss(client, manifest):
    short = next(u for u in manifest if u.id == "cmu_arctic_axb_a0005")  # 1.6 s: MSBG is slow
    listener = json.dumps(preset(client, "N4"))
    heard = {}
    for mode in ("before", "after", "simulate"):
        answer = client.post(
            "/api/fitting/listen",
            data={"mode": mode, "listener": listener},
            files={"file": (short.path.name, short.path.read_bytes())},
        )
        assert answer.status_code == 200 and answer.headers["content-type"] == "audio/wav"
        heard[mode] = rms_db(answer.content)
    assert heard["after"] > heard["before"] + 6  # the fitting amplifies
    assert heard["simulate"] < heard["before"] - 6  # the loss makes it quieter
    sample = client.post("/api/fitting/listen", data={"mode": "before", "listener": listener})
    assert sample.status_code == 200  # no upload: the bundled sample
    for data, files, words in [
        ({"mode": "after", "listener": "{"}, None, "listener"),
        ({"mode": "louder", "listener": listener}, None, "mode"),
        (
            {"mode": "after", "listener": listener},
            {"file": ("x.wav", b"not audio")},
            "cannot read x.wav as audio",
        ),
    ]:
        answer = client.post("/api/fitting/listen", data=data, files=files)
        assert 400 <= answer.status_code < 500 and words in answer.json()["error"]["message"]


def test_an_empty_upload_to_listen_to_is_said_to_be_empty(client):
    """Not libsndfile's "Format not recognised", nor the bundled sample played instead."""
    answer = client.post(
        "/api/fitting/listen",
        data={"mode": "before", "listener": json.dumps(preset(client, "N4"))},
        files={"file": ("blank.wav", b"")},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "blank.wav is empty"


@pytest.mark.parametrize("mode", ["before", "after"])
def test_bad_samples_in_an_upload_are_heard_as_silence(client, manifest, damaged_copy, mode):
    """A NaN once made the "after" preview full scale from there on: now every bad sample in an
    upload sounds as silence would."""
    short = next(u for u in manifest if u.id == "cmu_arctic_axb_a0005")
    times = (0.3, 0.6, 0.9, 1.2)
    damaged, zeroed = damaged_copy(short.path, dict(zip(times, BAD_SAMPLES.values(), strict=True)))
    listener = json.dumps(preset(client, "N4"))
    heard = []
    for upload in (damaged, zeroed):
        answer = client.post(
            "/api/fitting/listen",
            data={"mode": mode, "listener": listener},
            files={"file": (upload.name, upload.read_bytes())},
        )
        assert answer.status_code == 200
        heard.append(sf.read(io.BytesIO(answer.content), dtype="float32")[0])
    np.testing.assert_array_equal(heard[0], heard[1])
    assert rms_db(answer.content) > -40  # speech, not silence


def test_the_amplifier_without_a_sound_card_or_profile_says_so(client):
    state = client.get("/api/amplifier").json()
    if state["devices"]["available"]:
        pytest.skip("this machine has sound devices")
    assert (
        "found on this computer" in state["devices"]["message"] and not state["status"]["running"]
    )
    answer = client.post("/api/amplifier/adjust", json={"boost_db": 3})
    assert answer.status_code == 400 and "no hearing profile" in answer.json()["error"]["message"]
    assert client.put("/api/fitting/profile", json=preset(client, "N3")).status_code == 200
    answer = client.post("/api/amplifier/start", json={})
    assert answer.status_code == 400 and "device" in answer.json()["error"]["message"]
    # Sliders are saved into the profile even while the amplifier is off.
    assert (
        client.post("/api/amplifier/adjust", json={"boost_db": 3, "tone_db": -2}).json()[
            "adjustments"
        ]["boost_db"]
        == 3
    )
    assert client.get("/api/fitting/profile").json()["adjustments"]["tone_db"] == -2
    for body, status in [
        ({"boost_db": 300}, 400),
        ({"volume": 3}, 422),
        ({"noise_suppression": "magic"}, 400),
    ]:
        assert client.post("/api/amplifier/adjust", json=body).status_code == status
