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

from openhear.asr.wer import wer
from openhear.audio.files import read_audio
from openhear.audio.resample import resample
from openhear.cli import main
from openhear.relay.store import TranscriptStore

RATE = 16000
REPLY = "Could you help me carry these bags to the car?"


class StandInSoundcard:
    """Enough of the sounddevice module for one microphone and one output, with acoustic loopback."""

    def __init__(self, speech: np.ndarray, lead_s: float, total_s: float):
        self.mic = np.zeros(round(total_s * RATE), np.float32)
        self.mic[round(lead_s * RATE) : round(lead_s * RATE) + speech.size] = speech
        self.room = np.zeros(0, np.float32)  # played audio not yet heard back
        self.played_s = 0.0
        self.heard_s = 0.0  # microphone time delivered so far
        self.lock = threading.Lock()

    def query_devices(self, device=None, kind=None):
        if device is not None:
            raise ValueError("no such device")
        return {"name": "stand-in", "max_input_channels": 1, "max_output_channels": 1, "default_samplerate": float(RATE)}

    def InputStream(self, samplerate, blocksize, device, channels, dtype, callback):  # noqa: N802 (sounddevice's name)
        return _Input(self, blocksize, callback)

    def OutputStream(self, samplerate, channels, dtype, device):  # noqa: N802
        return _Output(self, samplerate)


class _Input:
    def __init__(self, card, blocksize, callback):
        self.card, self.blocksize, self.callback = card, blocksize, callback
        self.stopped = threading.Event()

    def start(self):
        threading.Thread(target=self._run, daemon=True).start()

    def stop(self):
        self.stopped.set()

    def close(self):
        pass

    def _run(self):
        start = time.monotonic()
        for i in range(0, self.card.mic.size - self.blocksize + 1, self.blocksize):
            if self.stopped.is_set():
                return
            time.sleep(max(0.0, start + i / RATE - time.monotonic()))
            chunk = self.card.mic[i : i + self.blocksize].copy()
            with self.card.lock:
                echo, self.card.room = self.card.room[: self.blocksize], self.card.room[self.blocksize :]
            chunk[: echo.size] += 0.5 * echo
            self.callback(chunk.reshape(-1, 1), self.blocksize, None, None)
            self.card.heard_s = (i + self.blocksize) / RATE


class _Output:
    def __init__(self, card, rate):
        self.card, self.rate = card, rate

    def start(self):
        pass

    def write(self, samples):
        heard = resample(samples[:, 0], self.rate, RATE)
        with self.card.lock:
            self.card.room = np.concatenate([self.card.room, heard])
            self.card.played_s += samples.shape[0] / self.rate
        time.sleep(0.8 * samples.shape[0] / self.rate)  # a blocking write returns as the buffer drains

    def stop(self):
        pass

    def close(self):
        pass


def test_live_conversation_with_a_typed_reply_and_its_echo(monkeypatch, manifest):
    speech = next(u for u in manifest if u.id == "cmu_arctic_aew_a0003")
    audio = read_audio(speech.path)
    card = StandInSoundcard(resample(audio.mono(), audio.sample_rate, RATE), lead_s=0.5, total_s=9.0)
    monkeypatch.setattr("openhear.audio.devices.sounddevice", lambda: card)
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
    assert wer(speech.text, " ".join(e.text for e in them)) <= 0.2  # their words, and nothing of our echo
    assert all(e.start_s < me.start_s for e in them)
