"""The Calls view's routes: thin calls into the server's CallDesk (openhear.server.calls)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from openhear.asr.screening import ProfanityMask
from openhear.server.calls import SIP_PORT, CallRequest
from openhear.server.limits import RequestModel
from openhear.server.state import AppState, app_state

router = APIRouter()


class StartCall(RequestModel):
    """How a call starts (dialled, awaited, or in another app)."""

    disclosure: bool = True
    """Speak the notice that replies are typed and spoken by a computer voice, once connected."""
    notice: str = Field("", max_length=1000)
    """The notice's own words; blank for the standard one."""
    title: str = Field("", max_length=200)
    """The conversation's title; blank for one naming the other party."""
    profanity_mask: ProfanityMask = "provisional"
    """Where the other person's captions mask profanity ("off", "provisional" or "all")."""
    language: str | None = Field(None, max_length=16)
    """The language the other person speaks: a code, or "auto" (a multilingual model); None: the
    server's --language."""

    def call_request(self) -> CallRequest:
        return CallRequest(
            self.disclosure, self.notice, self.title, self.profanity_mask, self.language
        )


class Dial(StartCall):
    target: str = Field(min_length=1, max_length=300)
    """sip:user@host[:port], or a telephone number through the saved SIP account."""
    use_account: bool = True
    """Call through the saved SIP account (if there is one); False: a direct call."""


class Listen(StartCall):
    port: int = Field(SIP_PORT, ge=0, le=65535)
    """The SIP port to wait for calls on; 0 for any free port."""


class System(StartCall):
    sink: str | None = Field(None, max_length=200)
    """The output device whose sound is captioned; None for the default one."""


class Typed(RequestModel):
    text: str = Field(min_length=1, max_length=5000)
    """A reply to speak into the call, or keys to press (only 0-9, * and #)."""


@router.get("/api/calls")
def call_status(
    after: int = Query(0, ge=0),
    wait_s: float = Query(0.0, ge=0, le=20),
    state: AppState = Depends(app_state),
) -> dict:
    """The call's state and its events after number `after`, waiting up to `wait_s` for one."""
    return state.calls.snapshot(after, wait_s)


@router.post("/api/calls/dial")
def dial(request: Dial, state: AppState = Depends(app_state)) -> dict:
    """Dial a SIP address or a number; the call then proceeds (see the events)."""
    state.calls.dial(request.target, request.call_request(), request.use_account)
    return state.calls.snapshot()


@router.post("/api/calls/listen")
def listen(request: Listen, state: AppState = Depends(app_state)) -> dict:
    """Wait for an incoming SIP call; it rings in the page until answered or declined."""
    state.calls.wait_for_calls(request.call_request(), request.port)
    return state.calls.snapshot()


@router.post("/api/calls/system")
def system(request: System, state: AppState = Depends(app_state)) -> dict:
    """Caption a call in any app (what this computer plays); replies go to a virtual microphone."""
    state.calls.system(request.call_request(), request.sink)
    return state.calls.snapshot()


@router.post("/api/calls/answer")
def answer(state: AppState = Depends(app_state)) -> dict:
    state.calls.answer()
    return state.calls.snapshot()


@router.post("/api/calls/hangup")
def hang_up(state: AppState = Depends(app_state)) -> dict:
    """Hang up, decline a ringing call, or stop waiting for one."""
    state.calls.hang_up()
    return state.calls.snapshot()


@router.post("/api/calls/type")
def type_line(request: Typed, state: AppState = Depends(app_state)) -> dict:
    """Speak a reply into the call (stored in its conversation), or press keys (0-9, *, #)."""
    state.calls.type(request.text)
    return {"ok": True}
