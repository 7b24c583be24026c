"""A call's leg without the network: frames in and out as the phone's media clock moves them."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from openhear.audio.block import AudioBlock
from openhear.calls import CallError
from openhear.calls.leg import (
    BRIDGE_RATE,
    FRAME_BYTES,
    FRAME_SAMPLES,
    CallLeg,
    CallSink,
    CallState,
    CallStatus,
)


class Control:
    """Records the commands a leg sends to its phone."""

    def __init__(self) -> None:
        self.commands: list[str] = []

    def answer(self) -> None:
        self.commands.append("answer")

    def hangup(self) -> None:
        self.commands.append("hangup")

    def send_dtmf(self, keys: str) -> None:
        self.commands.append(f"dtmf {keys}")


def connected_leg() -> tuple[CallLeg, Control]:
    control = Control()
    leg = CallLeg("sip:them@127.0.0.1:5060", False, control)
    leg.update(CallStatus(CallState.CONNECTED, 200, "", "G722/16000"))
    return leg, control


def tone(rate: int, seconds: float, hz: float = 440.0) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_their_frames_become_one_unbroken_stream_and_end_with_the_call():
    leg, _ = connected_leg()
    frames = [(np.full(FRAME_SAMPLES, i * 100, "<i2")).tobytes() for i in range(5)]
    for pcm in frames[:2]:
        leg.received(pcm)
    leg.received(None)  # the bridge had nothing: silence, the clock goes on
    for pcm in frames[3:]:
        leg.received(pcm)
    leg.update(CallStatus(CallState.ENDED, 200, "Normal call clearing"))
    leg.received(frames[0])  # after the end: not theirs any more
    blocks = list(leg.blocks())
    assert [b.start_s for b in blocks] == [i * FRAME_SAMPLES / BRIDGE_RATE for i in range(5)]
    assert all(b.sample_rate == BRIDGE_RATE and b.frames == FRAME_SAMPLES for b in blocks)
    assert blocks[2].samples.max() == 0
    assert np.allclose(blocks[4].samples, 400 / 32768)


def test_our_speech_is_resampled_once_and_sent_whole_in_frames():
    leg, _ = connected_leg()
    sink = CallSink(leg)
    rate = 22050
    speech = tone(rate, 0.5)
    sent: list[bytes] = []
    done = threading.Event()

    def media_clock() -> None:  # takes frames as the bridge would, until the sink is closed
        while not done.is_set() or not leg.sent_all():
            pcm = leg.requested()
            if pcm is None:
                time.sleep(0.001)
            else:
                sent.append(pcm)

    clock = threading.Thread(target=media_clock)
    clock.start()
    for at in range(0, speech.size, 1000):  # blocks that do not fall on frame edges
        sink.write(AudioBlock.from_mono(speech[at : at + 1000], rate, at / rate))
    sink.close()
    done.set()
    clock.join()
    assert all(len(pcm) == FRAME_BYTES for pcm in sent)
    out = np.frombuffer(b"".join(sent), "<i2").astype(np.float32) / 32768
    assert abs(out.size - 0.5 * BRIDGE_RATE) < FRAME_SAMPLES  # 0.5 s, the last frame padded
    spectrum = np.abs(np.fft.rfft(out[: BRIDGE_RATE // 2]))
    assert abs(np.argmax(spectrum) * 2 - 440) <= 2  # the same tone, at the bridge's rate
    assert 0.45 < np.abs(out).max() < 0.55


def test_after_the_call_ends_our_speech_is_dropped_and_nothing_waits():
    leg, _ = connected_leg()
    leg.update(CallStatus(CallState.ENDED, 200, "Normal call clearing"))
    sink = CallSink(leg)
    sink.write(AudioBlock.from_mono(tone(16000, 3.0), 16000))  # more than the queue holds
    sink.close()
    assert leg.requested() is None


def test_hanging_up_twice_sends_one_hangup_and_marks_it_ours():
    leg, control = connected_leg()
    leg.hangup()
    leg.hangup()
    assert control.commands == ["hangup"]
    leg.update(CallStatus(CallState.ENDED, 200, "Normal call clearing"))
    assert leg.status.hung_up_by_us
    leg.hangup()
    assert control.commands == ["hangup"]


def test_hold_and_resume_are_told_once_each_and_their_voice_flows_meanwhile():
    leg, control = connected_leg()
    told: list[bool] = []
    leg.on_hold(told.append)
    held = CallStatus(CallState.HELD, 200, "", "G722/16000")
    leg.update(held)
    leg.update(held)  # a second re-INVITE on hold: nothing new
    late: list[bool] = []
    leg.on_hold(late.append)  # a watcher that comes while it is on hold hears so at once
    leg.received(None)  # on hold, the clock goes on: silence, or their music
    with pytest.raises(CallError, match="on hold"):
        leg.send_dtmf("1")
    leg.update(CallStatus(CallState.CONNECTED, 200, "", "G722/16000"))
    leg.update(CallStatus(CallState.CONNECTED, 200, "", "G722/16000"))
    leg.received(None)
    leg.update(CallStatus(CallState.HELD, 200, "", "G722/16000"))
    leg.update(CallStatus(CallState.ENDED, 200, "Normal call clearing"))  # ended on hold
    assert told == [True, False, True] and late == [True, False, True]
    assert len(list(leg.blocks())) == 2 and control.commands == []


def test_an_ended_call_stays_ended():
    leg, _ = connected_leg()
    leg.update(CallStatus(CallState.ENDED, 486, "Busy Here"))
    leg.update(CallStatus(CallState.CONNECTED, 200, "", "PCMU/8000"))
    assert leg.status.state is CallState.ENDED and leg.status.code == 486


def test_failures_are_said_in_one_line():
    uri = "sip:bob@127.0.0.1:5062"
    assert CallStatus(CallState.ENDED, 486, "Busy Here").failure(uri) == (
        f"{uri} is busy (486 Busy Here)"
    )
    assert "declined" in CallStatus(CallState.ENDED, 603, "Decline").failure(uri)
    assert "cannot reach" in CallStatus(CallState.ENDED, 503, "Connection refused").failure(uri)
    assert CallStatus(CallState.CONNECTED, codec="G722/16000").codec_text() == "G.722, wideband"
    assert CallStatus(CallState.CONNECTED, codec="PCMA/8000").codec_text() == "G.711, narrowband"
