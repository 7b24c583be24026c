"""`openhear converse --live` end to end with a stand-in sound card (no hardware here).

The stand-in plays the real models' world in real time: its microphone delivers a real speech
recording in 20 ms callbacks, and whatever is played on its output is heard back by that
microphone (half as loud), as an open-air room would. A reply is typed on stdin while it runs.
"""

from __future__ import annotations

import io
import os
import sys
import threading
import time

import numpy as np
import pytest
from standin_sounddevice import InputStream, StandInCard

from openhear.asr.wer import wer
from openhear.audio.files import read_audio
from openhear.audio.resample import resample
from openhear.cli import main
from openhear.relay.store import TranscriptStore

RATE = 16000
REPLY = "Could you help me carry these bags to the car?"


class Room(StandInCard):
    """The stand-in card in an open-air room: its microphone hears `speech` from `lead_s` on, plus
    half of whatever its output played, paced in real time; a write blocks as a buffer draining."""

    def __init__(self, speech: np.ndarray, lead_s: float, total_s: float):
        mic = np.zeros(round(total_s * RATE), np.float32)
        mic[round(lead_s * RATE) : round(lead_s * RATE) + speech.size] = speech
        super().__init__(mic, RATE, output_channels=1, realtime=True)
        self.echo = np.zeros(0, np.float32)  # played audio not yet heard back
        self.played_s = 0.0
        self.lock = threading.Lock()

    @property
    def heard_s(self) -> float:
        """Microphone time delivered so far."""
        mics = [s for s in self.streams if isinstance(s, InputStream)]
        return mics[-1].blocks * mics[-1].blocksize / RATE if mics else 0.0

    def microphone(self, at, frames):
        chunk = super().microphone(at, frames).copy()
        with self.lock:
            echo, self.echo = self.echo[:frames], self.echo[frames:]
        chunk[: echo.size] += 0.5 * echo
        return chunk

    def speaker(self, samples, rate):
        heard = resample(samples[:, 0], rate, RATE)
        with self.lock:
            self.echo = np.concatenate([self.echo, heard])
            self.played_s += samples.shape[0] / rate
        time.sleep(0.8 * samples.shape[0] / rate)  # a blocking write returns as the buffer drains


def test_live_conversation_with_a_typed_reply_and_its_echo(monkeypatch, manifest, standin_card):
    speech = next(u for u in manifest if u.id == "cmu_arctic_aew_a0003")
    audio = read_audio(speech.path)
    card = standin_card(
        resample(audio.mono(), audio.sample_rate, RATE), lead_s=0.5, total_s=9.0, make=Room
    )
    read_end, write_end = os.pipe()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(os.fdopen(read_end, "rb")))

    def type_reply():
        deadline = time.monotonic() + 60
        while card.heard_s < 5.0 and time.monotonic() < deadline:  # after they finished speaking
            time.sleep(0.01)
        os.write(write_end, (REPLY + "\n").encode())
        os.close(write_end)

    threading.Thread(target=type_reply, daemon=True).start()
    assert main(["converse", "--live", "--duration", "9", "--no-disclosure"]) == 0

    with TranscriptStore() as store:
        (conversation,) = store.list_conversations()
        entries = store.get(conversation.id).entries
    them = [e for e in entries if e.speaker == "them"]
    (me,) = [e for e in entries if e.speaker == "me"]
    assert me.text == REPLY
    assert card.played_s == pytest.approx(me.end_s - me.start_s, abs=0.05)
    assert card.played_s > 2.0
    assert (
        wer(speech.text, " ".join(e.text for e in them)) <= 0.2
    )  # their words, and nothing of our echo
    assert all(e.start_s < me.start_s for e in them)
