"""The amplifier view's API: devices, start and stop, status, and the sliders."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends
from pydantic import ConfigDict, Field

from openhear.server.limits import MAX_DEVICE_INDEX, RequestModel
from openhear.server.state import AppState, app_state

router = APIRouter()


class StartRequest(RequestModel):
    """Which devices, and how small the blocks (smaller: less delay, more risk of dropouts)."""

    input_device: int | None = Field(None, ge=0, le=MAX_DEVICE_INDEX)
    output_device: int | None = Field(None, ge=0, le=MAX_DEVICE_INDEX)
    block_frames: int = Field(64, ge=16, le=4096)


class SliderRequest(RequestModel):
    """Any of the sliders; the others keep their values. Their ranges are checked by the profile
    (`fitting.adjustments.SLIDER_RANGES`, which `GET /api/settings` serves to the page)."""

    model_config = ConfigDict(extra="forbid")
    boost_db: float | None = None
    tone_db: float | None = None
    balance_db: float | None = None
    noise_strength: float | None = None
    noise_kind: str | None = None
    noise_reduction: float | None = None
    """The older name of `noise_strength`, still accepted."""
    noise_suppression: str | None = None
    """The older name of `noise_kind`, still accepted."""


@router.get("/api/amplifier")
def amplifier(state: AppState = Depends(app_state)) -> dict:
    """Devices and status together (what the view shows when it opens)."""
    return {"devices": state.amplifier.devices(), "status": state.amplifier.status()}


@router.get("/api/amplifier/status")
def status(state: AppState = Depends(app_state)) -> dict:
    return state.amplifier.status()


@router.post("/api/amplifier/start")
async def start(request: StartRequest, state: AppState = Depends(app_state)) -> dict:
    return await asyncio.to_thread(
        state.amplifier.start, request.input_device, request.output_device, request.block_frames
    )


@router.post("/api/amplifier/stop")
async def stop(state: AppState = Depends(app_state)) -> dict:
    return await asyncio.to_thread(state.amplifier.stop)


@router.post("/api/amplifier/adjust")
async def adjust(request: SliderRequest, state: AppState = Depends(app_state)) -> dict:
    """Moves sliders (live while running; saved in the profile either way)."""
    values = request.model_dump(exclude_none=True)
    return await asyncio.to_thread(state.amplifier.adjust, **values)
