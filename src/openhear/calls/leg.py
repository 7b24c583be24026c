"""One call as the relay sees it: its state, the other party's voice as blocks, a sink for ours.

The phone's conference bridge runs at `BRIDGE_RATE` (the captioner's rate and G.722's; pjmedia
converts G.711's 8 kHz to it in the call's stream). Its media clock hands every 20 ms frame of the
other party's voice to `received` and asks `requested` for one frame of ours; both only move
bytes through a queue. Everything else runs on the caller's threads: `blocks()` turns their frames
into AudioBlocks (one unbroken stream from the moment the call connected, so the captioner's
clock is the call's), and `CallSink` resamples our speech once (soxr) to the bridge's rate and
queues it, a second ahead at most, so a long reply is made while it plays. Commands (answer, hang
up, key presses) go to the phone's thread through `CallControl`. When the other side puts the call
on hold, and when it resumes, the leg's hold watchers are told (`on_hold`); their voice keeps
flowing as blocks all the while (silence when they send none), so the captioner's clock goes on.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

import numpy as np

from openhear.audio.block import AudioBlock
from openhear.audio.files import float_to_pcm16, pcm_s16le_block
from openhear.audio.resample import StreamResampler
from openhear.calls import CallError

log = logging.getLogger("openhear.calls")

BRIDGE_RATE = 16000
"""Sample rate of the phone's conference bridge, and of the blocks a call yields."""
FRAME_MS = 20
"""Length of one media frame, milliseconds."""
FRAME_SAMPLES = BRIDGE_RATE * FRAME_MS // 1000
"""Samples in one frame (mono, 16-bit)."""
FRAME_BYTES = FRAME_SAMPLES * 2
"""Bytes in one frame of signed 16-bit little-endian PCM."""
SEND_AHEAD_FRAMES = 50
"""Frames of our speech queued ahead of the call (one second): a reply waits for the call, not the
other way round, and is cut short quickly when the call ends."""
WAIT_S = 0.1
"""How often a waiting reader or writer checks whether the call has ended."""
DRAIN_TIMEOUT_S = 30.0
"""`CallSink.close` waits at most this long for queued speech to be sent."""
_SILENCE = bytes(FRAME_BYTES)
CODEC_NAMES = {"G722": "G.722, wideband", "PCMU": "G.711, narrowband", "PCMA": "G.711, narrowband"}
"""The codecs a call may use, in words."""


class CallState(StrEnum):
    """Where a call is."""

    CALLING = "calling"
    """Dialled; no answer yet."""
    RINGING = "ringing"
    """Their phone rings (or ours, for an incoming call not yet answered)."""
    CONNECTED = "connected"
    """Answered, and audio flows both ways."""
    HELD = "on hold"
    """Connected, and the other side has put the call on hold (it may play music, or nothing)."""
    ENDED = "ended"
    """Hung up (by either side), refused, or failed."""


@dataclass(frozen=True)
class CallStatus:
    """A call's state with what the network said about it."""

    state: CallState
    """Where the call is."""
    code: int = 0
    """The last SIP status code (200 answered, 486 busy, 603 declined, ...); 0 for none yet."""
    reason: str = ""
    """The text that came with the code."""
    codec: str = ""
    """The audio codec in use once connected, e.g. 'G722/16000'."""
    encrypted: bool = False
    """Once connected: whether the audio is encrypted (SRTP)."""
    hung_up_by_us: bool = False
    """For an ended call: whether this side ended it."""

    def codec_text(self) -> str:
        """The codec in words, e.g. 'G.722, wideband', and whether the audio is encrypted."""
        name = CODEC_NAMES.get(self.codec.split("/")[0].upper(), self.codec)
        return name + ("; encrypted audio (SRTP)" if self.encrypted else "")

    def failure(self, uri: str) -> str:
        """Why a call that ended before it connected did not happen, in one line."""
        code, reason = self.code, self.reason.split(" (PJ")[0].strip()
        said = f" ({code} {reason})" if code else (f" ({reason})" if reason else "")
        if "certificate" in reason.lower():
            return (
                f"cannot reach {uri}: its TLS certificate is not trusted{said}; "
                "give the certificate to trust with --tls-ca FILE"
            )
        if code in (486, 600):
            return f"{uri} is busy{said}"
        if code in (603, 403):
            return f"{uri} declined the call{said}"
        if code in (404, 604):
            return f"{uri} does not exist{said}"
        if code in (480, 408, 487):
            return f"{uri} did not answer{said}"
        if code in (401, 407):
            return f"the call to {uri} needs an account (openhear call --setup){said}"
        if code in (488, 606):
            return f"{uri} has no audio codec in common with openhear (G.722, G.711){said}"
        if code == 503 or code == 0:
            return f"cannot reach {uri}{said}"
        return f"the call to {uri} failed{said}"


class CallControl(Protocol):
    """What a leg asks of the phone; each runs on the phone's thread and returns when done there."""

    def answer(self) -> None: ...

    def hangup(self) -> None: ...

    def send_dtmf(self, keys: str) -> None: ...


class CallLeg:
    """A call: its status, the other party's voice (`blocks`), and ours (`sink`). Thread-safe."""

    def __init__(self, remote_uri: str, incoming: bool, control: CallControl):
        self.remote_uri = remote_uri
        """The other party's SIP address."""
        self.incoming = incoming
        """True for a call we answer, False for one we dialled."""
        self._control = control
        self._status = CallStatus(CallState.RINGING if incoming else CallState.CALLING)
        self._changed = threading.Condition()
        self._connected_at: float | None = None
        self._heard: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._sending: queue.Queue[bytes] = queue.Queue(maxsize=SEND_AHEAD_FRAMES)
        self._hanging_up = False
        self._frames_heard = 0
        self._hold_watchers: list[Callable[[bool], None]] = []

    # -- the phone's side (its thread and its media clock) --

    def update(self, status: CallStatus) -> None:
        """The phone reports a new status (an ended call stays ended)."""
        with self._changed:
            if self._status.state is CallState.ENDED:
                return
            up = status.state in (CallState.CONNECTED, CallState.HELD)
            if up and self._connected_at is None:
                self._connected_at = time.monotonic()
            if status.state is CallState.ENDED and self._hanging_up:
                status = replace(status, hung_up_by_us=True)
            was_held = self._status.state is CallState.HELD
            self._status = status
            self._changed.notify_all()
            held = status.state is CallState.HELD
            if held != was_held and status.state is not CallState.ENDED:
                for watcher in self._hold_watchers:
                    _tell(watcher, held)

    def received(self, pcm: bytes | None) -> None:
        """Media clock: one frame of their voice (16-bit PCM at BRIDGE_RATE; None: silence)."""
        if self._status.state in (CallState.CONNECTED, CallState.HELD):
            self._heard.put(pcm)

    def requested(self) -> bytes | None:
        """Media clock: the next frame of our voice, or None for silence."""
        try:
            return self._sending.get_nowait()
        except queue.Empty:
            return None

    # -- the relay's side --

    @property
    def status(self) -> CallStatus:
        """The latest status."""
        return self._status

    def wait(self, *states: CallState, timeout_s: float | None = None) -> CallStatus:
        """Wait until the call is in one of `states` or has ended (or `timeout_s` passed)."""
        with self._changed:
            self._changed.wait_for(
                lambda: self._status.state in states or self._status.state is CallState.ENDED,
                timeout_s,
            )
            return self._status

    def on_hold(self, watcher: Callable[[bool], None]) -> None:
        """Call `watcher(True)` when the other side puts the call on hold (at once if it is on hold
        now) and `watcher(False)` when it resumes. It runs on the phone's thread with the leg's
        lock held: it must be quick and never wait on this leg; an error it raises is logged."""
        with self._changed:
            self._hold_watchers.append(watcher)
            if self._status.state is CallState.HELD:
                _tell(watcher, True)

    def elapsed_s(self) -> float:
        """Seconds since the call connected (0 before): the conversation's clock."""
        return 0.0 if self._connected_at is None else time.monotonic() - self._connected_at

    def answer(self) -> None:
        """Answer an incoming call."""
        self._control.answer()

    def hangup(self) -> None:
        """End the call (or stop it ringing); nothing if it has ended or is being hung up."""
        with self._changed:
            if self._status.state is CallState.ENDED or self._hanging_up:
                return
            self._hanging_up = True
        self._control.hangup()

    def send_dtmf(self, keys: str) -> None:
        """Press keys (0-9, *, #) on the call, sent as RFC 4733 telephone events; a CallError if the
        call is not connected or the other side takes no key presses."""
        if self._status.state is CallState.HELD:
            raise CallError("keys cannot be pressed while the other side has the call on hold")
        if self._status.state is not CallState.CONNECTED:
            raise CallError("keys can be pressed only during a connected call")
        self._control.send_dtmf(keys)

    def blocks(self) -> Iterator[AudioBlock]:
        """Their voice from the moment the call connected until it ends, in 20 ms blocks at
        BRIDGE_RATE (start times count the frames); 16-bit PCM, so through `audio.guard`'s test
        in `pcm_s16le_block` as every source's samples.

        Iterating again after a break picks up where the last one stopped, so nothing is lost."""
        while True:
            try:
                pcm = self._heard.get(timeout=WAIT_S)
            except queue.Empty:
                if self._status.state is CallState.ENDED and self._heard.empty():
                    return
                continue
            block = pcm_s16le_block(pcm or _SILENCE, BRIDGE_RATE, 1, self._frames_heard)
            self._frames_heard += block.frames
            yield block

    def send(self, pcm: bytes) -> bool:
        """Queue one frame of our voice (FRAME_BYTES), waiting while a second is queued; False (and
        nothing queued) once the call has ended."""
        while self._status.state is not CallState.ENDED:
            try:
                self._sending.put(pcm, timeout=WAIT_S)
                return True
            except queue.Full:
                continue
        return False

    def sent_all(self) -> bool:
        """Whether everything queued has been sent (or the call ended, so nothing more will be)."""
        return self._sending.empty() or self._status.state is CallState.ENDED


def _tell(watcher: Callable[[bool], None], held: bool) -> None:
    try:
        watcher(held)
    except Exception as exc:  # never into the phone's thread
        log.debug("hold watcher: %s", exc)


class CallSink:
    """Our voice into the call: blocks at any one rate, resampled once (soxr) to the bridge's rate
    and sent frame by frame. `write` waits while a second is queued; `close` waits until all is
    sent. Once the call has ended, what is written is dropped."""

    def __init__(self, leg: CallLeg):
        self._leg = leg
        self._resampler: StreamResampler | None = None
        self._partial = bytearray()

    def write(self, block: AudioBlock) -> None:
        if self._resampler is None:
            self._resampler = StreamResampler(
                block.sample_rate, BRIDGE_RATE, block.channels, to_mono=True
            )
        self._send(self._resampler.process(block).samples[:, 0])

    def _send(self, samples: np.ndarray, last: bool = False) -> None:
        self._partial += float_to_pcm16(samples)
        if last and len(self._partial) % FRAME_BYTES:
            self._partial += bytes(FRAME_BYTES - len(self._partial) % FRAME_BYTES)
        while len(self._partial) >= FRAME_BYTES:
            frame = bytes(self._partial[:FRAME_BYTES])
            del self._partial[:FRAME_BYTES]
            if not self._leg.send(frame):
                self._partial.clear()
                return

    def close(self) -> None:
        """Send what the resampler holds, then wait until all has gone (or the call has ended)."""
        if self._resampler is not None:
            self._send(self._resampler.flush().samples[:, 0], last=True)
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while not self._leg.sent_all() and time.monotonic() < deadline:
            time.sleep(FRAME_MS / 1000)


def wait_connected(
    leg: CallLeg, timeout_s: float, on_ringing: Callable[[], None] | None = None
) -> CallStatus:
    """Wait until a dialled or answered call is connected; its status then, else a CallError in
    one line (refused, busy, unreachable, unanswered within `timeout_s`: then it is hung up).
    `on_ringing` is called once if a dialled call's other end rings first."""
    up = (CallState.CONNECTED, CallState.HELD)  # a call may start on hold
    status = leg.wait(CallState.RINGING, *up, timeout_s=timeout_s)
    if status.state is CallState.RINGING and not leg.incoming and on_ringing is not None:
        on_ringing()
    status = leg.wait(*up, timeout_s=timeout_s)
    if status.state in up:
        return status
    if status.state is CallState.ENDED:
        raise CallError(status.failure(leg.remote_uri))
    leg.hangup()
    if status.state is CallState.CALLING:
        raise CallError(
            f"no reply from {leg.remote_uri} within {timeout_s:g} s: is the address right "
            "and the other side on line?"
        )
    raise CallError(f"{leg.remote_uri} did not answer within {timeout_s:g} s")
