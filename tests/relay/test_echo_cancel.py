"""The echo canceller on real speech through a simulated room: the reply's echo is removed (ERLE)
whether the playback delay is one AEC3 follows by itself or a long one (a browser's) that the
canceller has to find first; speech that is not the reply passes, and where the reply is not
heard back at all (a headset, the browser's own canceller) speech over it passes unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from openhear.audio.block import AudioBlock
from openhear.audio.files import read_audio
from openhear.audio.resample import resample
from openhear.relay.echo import EchoCanceller

RATE = 16000
BLOCK = 320  # 20 ms, as a microphone delivers it
REPLY = "voicebank_demand_p287_003_clean"
"""7.2 s of speech standing for a reply the other person talks over: another speaker and recording
than theirs (two LibriSpeech utterances of one reader, 0000 and 0001, are coherent at some delays
(0.06) as a weak echo would be)."""


def room(seed: int = 3) -> np.ndarray:
    """A room impulse response: the direct path, then a tail decaying 60 dB in 0.4 s."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(0.4 * RATE)) / RATE
    rir = rng.standard_normal(t.size) * np.exp(-6.9 * t / 0.4) * 0.2
    rir[:80] = 0.0
    rir[46] = 1.0
    return rir


def speech(manifest, utterance_id: str) -> np.ndarray:
    audio = read_audio(next(u for u in manifest if u.id == utterance_id).path)
    return resample(audio.mono(), audio.sample_rate, RATE)


def run(canceller: EchoCanceller, mic: np.ndarray) -> np.ndarray:
    return np.concatenate(
        [
            canceller.apply(AudioBlock.from_mono(mic[i : i + BLOCK], RATE, i / RATE)).mono()
            for i in range(0, mic.size, BLOCK)
        ]
    )


def erle_db(echo: np.ndarray, left: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(echo**2) / np.sum(left**2)))


@pytest.mark.parametrize("delay_s", [0.06, 0.8])
def test_the_echo_of_a_reply_is_removed(manifest, delay_s):
    reply = speech(manifest, "librispeech_dev-clean_2412-153948-0001")  # 10.5 s
    canceller = EchoCanceller()
    canceller.playing(0.0, AudioBlock.from_mono(reply, RATE))
    echo = np.zeros(reply.size + RATE, np.float32)
    heard = 0.5 * np.convolve(reply, room())[: reply.size]
    at = int(delay_s * RATE)
    echo[at : at + heard.size] = heard[: echo.size - at]
    left = run(canceller, echo)
    settled = slice(4 * RATE, reply.size)  # once the delay is found and the filter has adapted
    assert erle_db(echo[settled], left[settled]) > 12
    assert canceller.echo_heard is True
    assert abs(canceller.shift_s - max(0.0, delay_s - 0.1)) < 0.05 or delay_s < 0.3


def test_speech_that_is_not_the_reply_passes(manifest):
    reply = speech(manifest, "librispeech_dev-clean_2412-153948-0001")
    talker = speech(manifest, "cmu_arctic_aew_a0003")
    canceller = EchoCanceller()
    canceller.playing(0.0, AudioBlock.from_mono(reply[: 4 * RATE], RATE))
    mic = np.zeros(7 * RATE, np.float32)  # the reply's echo, then the talker alone
    mic[: 4 * RATE] = 0.5 * np.convolve(reply[: 4 * RATE], room())[: 4 * RATE]
    mic[5 * RATE : 5 * RATE + talker.size] = talker[: 2 * RATE]
    left = run(canceller, mic)
    kept = slice(5 * RATE + 160, 7 * RATE)  # one 10 ms frame later
    assert erle_db(mic[5 * RATE : 7 * RATE - 160], left[kept]) < 1.0


def test_speech_over_a_reply_that_is_not_heard_back_passes_unchanged(manifest):
    reply = speech(manifest, REPLY)
    talker = speech(manifest, "librispeech_dev-clean_2412-153948-0000").astype(np.float32)
    canceller = EchoCanceller()
    canceller.playing(0.0, AudioBlock.from_mono(reply, RATE))
    left = run(canceller, talker)
    assert canceller.echo_heard is False
    # once the reply's start has been probed (at 3 s) and a frame faded, the input passes as is
    kept = slice(int(3.1 * RATE), talker.size)
    assert np.array_equal(left[kept], talker[kept.start - 160 : kept.stop - 160])


def test_told_the_echo_is_removed_already_it_passes_speech_at_once_but_still_hears_an_echo(
    manifest,
):
    reply = speech(manifest, REPLY)
    talker = speech(manifest, "librispeech_dev-clean_2412-153948-0000").astype(np.float32)
    canceller = EchoCanceller()
    canceller.assume_unheard()  # a browser's own canceller has removed it
    canceller.playing(0.0, AudioBlock.from_mono(reply, RATE))
    left = run(canceller, talker)
    assert np.array_equal(left[160:], talker[:-160])  # from the first reply's start on
    # where it is heard after all, the probe finds it and the canceller removes it
    canceller = EchoCanceller()
    canceller.assume_unheard()
    canceller.playing(0.0, AudioBlock.from_mono(reply, RATE))
    echo = 0.5 * np.convolve(reply, room())[: reply.size].astype(np.float32)
    left = run(canceller, echo)
    assert canceller.echo_heard is True
    settled = slice(4 * RATE, reply.size)
    assert erle_db(echo[settled], left[settled]) > 12
