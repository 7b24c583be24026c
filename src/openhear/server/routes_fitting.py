"""The hearing profile: audiograms (chart, import, Bisgaard presets), prescribed gains, and
listening to a recording before, after the fitting, and as the loss would make it sound."""

from __future__ import annotations

import asyncio
from pathlib import PurePath
from typing import Literal

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import Response
from pydantic import Field, ValidationError

from openhear.errors import OpenhearError
from openhear.fitting.adjustments import Adjustments
from openhear.fitting.audiogram import (
    PRESET_NAMES,
    Audiogram,
    Listener,
    listener_from_dict,
    listener_from_text,
    preset,
)
from openhear.fitting.prescription import BAND_CENTERS_HZ
from openhear.fitting.profile import fit_listener, read_profile, write_profile
from openhear.paths import private_dir
from openhear.server.audio_response import wav_response
from openhear.server.limits import RequestModel, validation_message
from openhear.server.state import AppState, app_state

router = APIRouter()
PROFILE_FILE = "fitting-profile.json"
"""Where the page saves the user's fitting profile (in the data directory); the
amplifier view uses it."""
SPEECH_LEVELS_DB_SPL = (50, 65, 80)
"""Soft, average and loud speech: the gains shown for each."""


class EarLevels(RequestModel):
    """Thresholds of one ear."""

    frequencies_hz: list[float] = Field(min_length=1, max_length=32)
    levels_db_hl: list[float] = Field(min_length=1, max_length=32)


class ListenerIn(RequestModel):
    """Both ears' thresholds as the page's chart holds them."""

    left: EarLevels
    right: EarLevels
    name: str = Field("", max_length=100)

    def listener(self) -> Listener:
        return listener_from_dict(self.model_dump())


def on_chart(listener: Listener) -> dict:
    """The listener's thresholds at the chart's frequencies (the amplifier's band centres)."""

    def ear(a: Audiogram) -> list[float]:
        return [round(float(v), 1) for v in a.levels_at(BAND_CENTERS_HZ)]

    return {
        "name": listener.name,
        "left": {"frequencies_hz": list(BAND_CENTERS_HZ), "levels_db_hl": ear(listener.left)},
        "right": {"frequencies_hz": list(BAND_CENTERS_HZ), "levels_db_hl": ear(listener.right)},
    }


@router.get("/api/fitting/presets")
def presets() -> dict:
    """The Bisgaard (2010) standard audiograms, on the chart's frequencies."""
    return {
        "frequencies_hz": list(BAND_CENTERS_HZ),
        "presets": [on_chart(preset(name)) for name in PRESET_NAMES],
    }


@router.post("/api/fitting/prescribe")
def prescribe(request: ListenerIn) -> dict:
    """NAL-R(P) gains per band and ear for soft, average and loud speech."""
    profile = fit_listener(request.listener())
    gains = {}
    for side in ("left", "right"):
        ear = profile.ear(side)
        gains[side] = {
            str(level): [round(float(g), 1) for g in ear.gains_db_for_speech(level)]
            for level in SPEECH_LEVELS_DB_SPL
        }
    return {"frequencies_hz": [float(f) for f in profile.left.centers_hz], "gains_db": gains}


@router.post("/api/fitting/import")
async def import_audiogram(file: UploadFile = File(...)) -> dict:
    """An audiogram file (openhear or Clarity JSON, or frequency,left,right CSV) on the chart."""
    raw = await file.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OpenhearError("an audiogram file must be UTF-8 text (JSON or CSV)") from None
    if not text.strip():
        raise OpenhearError("the audiogram file is empty")
    path = PurePath(file.filename or "")
    return on_chart(listener_from_text(text, path.stem, path.suffix))


class ProfileIn(ListenerIn):
    """A listener to fit and save, with the amplifier's sliders."""

    adjustments: dict = Field(default_factory=dict)


@router.get("/api/fitting/profile")
def saved_profile(state: AppState = Depends(app_state)) -> dict:
    """The saved profile's audiograms (on the chart) and sliders, or nulls if none is saved."""
    path = state.services.data_dir / PROFILE_FILE
    if not path.exists():
        return {"listener": None, "adjustments": None}
    profile = read_profile(path)
    return {"listener": on_chart(profile.listener), "adjustments": profile.adjustments.__dict__}


@router.put("/api/fitting/profile")
def save_profile(request: ProfileIn, state: AppState = Depends(app_state)) -> dict:
    """Fits the listener (NAL-R) and saves it as the profile the amplifier uses."""
    profile = fit_listener(request.listener(), Adjustments().changed(**request.adjustments))
    private_dir(state.services.data_dir)
    write_profile(profile, state.services.data_dir / PROFILE_FILE)
    return {"saved": str(state.services.data_dir / PROFILE_FILE)}


@router.post("/api/fitting/listen")
async def listen(
    mode: Literal["before", "after", "simulate"] = Form(...),
    listener: str = Form(..., max_length=10_000),
    file: UploadFile | None = File(None),
    state: AppState = Depends(app_state),
) -> Response:
    """A WAV to play: the recording (or the bundled sample) before, after, or through the loss."""
    from openhear.dsp.preview import listening_preview

    try:
        chosen = ListenerIn.model_validate_json(listener).listener()
    except ValidationError as exc:
        raise OpenhearError(f"listener: {validation_message(exc)}") from None
    raw: bytes | None = None
    name = "the recording"
    if file is not None and file.filename:
        raw = await file.read()
        name = file.filename
    block = await asyncio.get_running_loop().run_in_executor(
        state.services.workers, listening_preview, mode, chosen, raw, name
    )
    return wav_response(block, {"comment": f"openhear hearing profile: {mode}"})
