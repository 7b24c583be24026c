"""Streaming Silero VAD: speech scores high, silence, hum and kitchen noise low,
whatever the chunking."""

import numpy as np

from openhear.asr.vad import FRAME_SAMPLES, StreamingVad

from .conftest import speech_16k


def probabilities(audio):
    vad = StreamingVad()
    n = audio.size // FRAME_SAMPLES
    return np.array([vad.frame(f) for f in audio[: n * FRAME_SAMPLES].reshape(n, FRAME_SAMPLES)])


def test_speech_is_speech_and_noise_is_not(long_speech, noise_clip):
    speech = probabilities(speech_16k(long_speech))
    assert np.mean(speech > 0.5) > 0.6
    assert np.mean(probabilities(speech_16k(noise_clip)) > 0.5) < 0.05
    t = np.arange(16000 * 5) / 16000
    hum = (0.3 * np.sin(2 * np.pi * 50 * t) + 0.1 * np.sin(2 * np.pi * 150 * t)).astype(np.float32)
    assert np.max(probabilities(hum)) < 0.5
    assert np.max(probabilities(np.zeros(16000 * 2, np.float32))) < 0.5


def test_reset_gives_the_same_probabilities_again(long_speech):
    audio = speech_16k(long_speech)[: 16000 * 2]
    assert np.array_equal(probabilities(audio), probabilities(audio))
