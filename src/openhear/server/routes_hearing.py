"""The Hearing check view's API: the page plays the tones (Web Audio) and times the presses; the
server runs the same `HearingCheck` the terminal does, one per open check.

POST /api/hearing-check starts one and gives the first trial; POST .../{id}/answer takes the press
times of a trial and gives the next (or the result, saved in the history like the terminal's);
DELETE .../{id} drops it. A trial carries the tone's digital level (`rms_dbfs`, through the
calibration), never above the cap.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import Field

from openhear.errors import OpenhearError
from openhear.fitting.audiometry import CheckOptions, HearingCheck, Trial
from openhear.fitting.hearing_levels import HEADPHONE_CLASSES, Calibration
from openhear.fitting.hearing_results import (
    SCREENING_NOTE,
    history,
    referrals,
    result_document,
    save_result,
    saved_calibration,
    saved_check_from_dict,
)
from openhear.paths import private_dir
from openhear.server.hearing_checks import OpenCheck
from openhear.server.limits import RequestModel
from openhear.server.state import AppState, app_state

router = APIRouter()
MAX_PRESSES = 50
"""Presses one trial may report (more is not a person pressing a key)."""


class StartIn(RequestModel):
    """How to run the check."""

    headphone: str | None = Field(None, max_length=20)
    calibration_db_spl: float | None = None
    first_ear: str = Field("right", max_length=10)


class AnswerIn(RequestModel):
    """The presses of the trial numbered `number`, in seconds after it started."""

    number: int = Field(ge=1)
    presses_s: list[float] = Field(default_factory=list, max_length=MAX_PRESSES)


def _calibration(request: StartIn, state: AppState) -> Calibration:
    saved = saved_calibration(state.services.data_dir)
    headphone = request.headphone or (saved.headphone if saved else HEADPHONE_CLASSES[0])
    if request.calibration_db_spl is not None:
        return Calibration(headphone, request.calibration_db_spl, "stated")
    if saved is not None and saved.headphone == headphone:
        return saved
    return Calibration(headphone)


def _trial(trial: Trial, calibration: Calibration) -> dict:
    o = trial.options
    level = None
    if not trial.catch:
        if trial.level_db_hl > calibration.max_level_db_hl(trial.frequency_hz):
            raise OpenhearError("refused a tone above the cap")  # the procedure never asks
        level = round(calibration.tone_rms_dbfs(trial.frequency_hz, trial.level_db_hl), 2)
    return {
        "number": trial.number,
        "ear": trial.ear,
        "frequency_hz": trial.frequency_hz,
        "rms_dbfs": level,
        "onset_s": trial.onset_s,
        "pulses": o.pulses,
        "pulse_s": o.pulse_s,
        "gap_s": o.gap_s,
        "ramp_s": o.ramp_s,
        "window_s": list(trial.window_s),
        "post_response_s": o.post_response_s,
    }


def _progress(check: HearingCheck) -> dict:
    p = check.progress()
    return {
        "ear": p.ear,
        "frequency_hz": p.frequency_hz,
        "step": p.steps_done + 1,
        "steps": p.steps_planned,
        "elapsed_s": round(p.elapsed_s, 1),
    }


@router.post("/api/hearing-check")
def start(request: StartIn, state: AppState = Depends(app_state)) -> dict:
    """A new check and its first trial."""
    calibration = _calibration(request, state)
    check = HearingCheck(calibration.max_level_db_hl, CheckOptions(first_ear=request.first_ear))
    key = state.hearing_checks.open(OpenCheck(check, calibration))
    return {
        "id": key,
        "calibration": calibration.to_dict() | {"text": calibration.describe()},
        "note": SCREENING_NOTE,
        "trial": _trial(check.next_trial(), calibration),
        "progress": _progress(check),
    }


@router.post("/api/hearing-check/{key}/answer")
def answer(key: str, request: AnswerIn, state: AppState = Depends(app_state)) -> dict:
    """The presses of the current trial; the next trial, or the result when the check is over."""
    open_check = state.hearing_checks.get(key)
    with open_check.lock:
        check = open_check.check
        if check.finished:
            raise OpenhearError("this hearing check is finished")
        trial = check.next_trial()
        if request.number != trial.number:
            raise OpenhearError(f"trial {request.number} is not the current one ({trial.number})")
        check.answer(trial, request.presses_s)
        messages = check.messages()
        if not check.finished:
            return {
                "trial": _trial(check.next_trial(), open_check.calibration),
                "messages": messages,
                "progress": _progress(check),
            }
        state.hearing_checks.close(key)
        return {"trial": None, "messages": messages, "result": _finish(check, open_check, state)}


def _finish(check: HearingCheck, open_check: OpenCheck, state: AppState) -> dict:
    result = check.result()
    ears = {
        side: [
            {
                "frequency_hz": t.frequency_hz,
                "level_db_hl": t.level_db_hl,
                "max_level_db_hl": t.max_level_db_hl,
            }
            for t in result.ear(side).thresholds
        ]
        for side in ("left", "right")
    }
    out = {
        "complete": result.complete,
        "reliable": result.reliable,
        "warnings": list(result.warnings),
        "ears": ears,
        "trials": result.trials,
        "elapsed_s": result.elapsed_s,
        "note": SCREENING_NOTE,
    }
    if not result.complete:
        return out | {"audiogram": None, "referrals": [], "saved": None}
    base = state.services.data_dir
    earlier = history(base)
    doc = result_document(result, open_check.calibration, datetime.now().astimezone())
    private_dir(base)
    kept = save_result(doc, base=base)
    reasons = referrals(saved_check_from_dict(doc, kept), earlier[-1] if earlier else None)
    return out | {"audiogram": doc, "referrals": reasons, "saved": kept.name}


@router.delete("/api/hearing-check/{key}")
def stop(key: str, state: AppState = Depends(app_state)) -> dict:
    """Drop a check (the page has already silenced its tone)."""
    return {"stopped": state.hearing_checks.close(key)}
