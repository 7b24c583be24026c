"""The live runner: its audio callback, typed slider commands, dropouts, latency, and the no-device
error.

This machine has no sound card, so the callback is driven directly with PortAudio-shaped arguments,
or by the stand-in duplex stream's thread (tests/standin_sounddevice.py); the runner's own logic is
under test, the chain inside is the real one."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import BAD_SAMPLES
from standin_sounddevice import DuplexStream

from openhear.dsp.levels import peak_db_spl
from openhear.dsp.testsignals import tone
from openhear.errors import DeviceError, OpenhearError
from openhear.fitting.audiogram import preset
from openhear.fitting.profile import fit_listener
from openhear.live.amplifier import LiveAmplifier, LiveOptions
from openhear.live.shell import command, control_loop, parse_command

RATE, BLOCK = 48000, 64
OPENHEAR = str(Path(sys.executable).with_name("openhear"))


def _status(**flags):
    return SimpleNamespace(
        input_overflow=flags.get("input_overflow", False),
        output_underflow=flags.get("output_underflow", False),
    )


def _run(amp: LiveAmplifier, x: np.ndarray, status=None) -> np.ndarray:
    out = []
    for i in range(0, len(x) - BLOCK + 1, BLOCK):
        outdata = np.zeros((BLOCK, 2), np.float32)
        stamps = SimpleNamespace(
            inputBufferAdcTime=10.0 + i / RATE, outputBufferDacTime=10.006 + i / RATE
        )
        indata = np.repeat(
            x[i : i + BLOCK, None], 2, axis=1
        )  # a stereo microphone (mono uses column 0)
        amp.callback(indata, outdata, BLOCK, stamps, status or _status())
        out.append(outdata)
    return np.concatenate(out)


def _db(y):
    return 20 * np.log10(np.sqrt(np.mean(y.astype(float) ** 2)))


def test_callback_amplifies_and_sliders_apply_while_running():
    amp = LiveAmplifier(fit_listener(preset("N3")), RATE, BLOCK, input_channels=1)
    x = tone(2000, 55.0, 0.5, RATE)
    before = _run(amp, x)[-RATE // 5 :]
    reply = command(amp, "boost 6")
    assert "boost 6 dB" in reply
    after = _run(amp, x)[-RATE // 5 :]
    assert _db(after[:, 0]) - _db(before[:, 0]) == pytest.approx(6.0, abs=0.5)
    assert command(amp, "balance 4") and amp.profile.adjustments.balance_db == 4
    assert command(amp, "boost loud").startswith("error:") and amp.profile.adjustments.boost_db == 6
    assert command(amp, "max 120").startswith("error:")
    assert command(amp, "quit") is None
    assert amp.device_latency_s == pytest.approx(0.006)
    assert "6.0 ms devices (measured)" in amp.report() and "4.0 ms processing" in amp.report()


def test_dropouts_are_counted():
    amp = LiveAmplifier(fit_listener(preset("N1")), RATE, BLOCK, input_channels=2)
    _run(amp, np.zeros(BLOCK * 3, np.float32), _status(output_underflow=True))
    _run(amp, np.zeros(BLOCK * 2, np.float32), _status(input_overflow=True))
    _run(amp, np.zeros(BLOCK * 4, np.float32))
    assert amp.dropouts == 5 and amp.callbacks == 9


def _amp(stream=None, audiogram="N2") -> LiveAmplifier:
    amp = LiveAmplifier(fit_listener(preset(audiogram)), RATE, BLOCK, input_channels=2)
    amp.stream = stream or DuplexStream(blocksize=BLOCK)
    return amp


def test_control_loop_applies_commands_until_quit():
    amp, said = _amp(), []
    control_loop(amp, iter(["tone 3\n", "nonsense\n", "quit\n", "boost 9\n"]), said.append)
    assert amp.stream.started and amp.stream.closed and not amp.running
    assert (
        amp.profile.adjustments.tone_db == 3 and amp.profile.adjustments.boost_db == 0
    )  # stopped at quit
    assert any("unknown command" in s for s in said) and "dropouts 0" in said[-1]


def test_control_loop_keeps_running_after_stdin_closes_until_the_duration():
    amp = _amp()
    control_loop(amp, iter([]), lambda s: None, duration_s=0.3)
    assert amp.stream.closed


def test_a_stream_that_stops_is_reported():
    amp = _amp()
    amp.stream.start = lambda: None  # PortAudio gave up at once: the stream never becomes active
    with pytest.raises(DeviceError, match="stream stopped"):
        control_loop(amp, iter([]), lambda s: None, duration_s=5.0)
    assert amp.stream.closed


def _after_callbacks(amp: LiveAmplifier, count: int) -> None:
    target = amp.callbacks + count
    while amp.callbacks < target:
        time.sleep(0.005)


def test_device_latency_is_measured_from_the_time_stamps_or_left_unknown():
    """The input-to-output time of the latest block on the stream's clock, followed when the
    devices change it; a host API without time stamps (all 0) leaves it unknown, not 0 ms."""
    amp = _amp()
    amp.stream = DuplexStream(amp.callback, BLOCK, np.zeros((RATE, 2), np.float32), 0.0075)
    amp.start()
    _after_callbacks(amp, 4)
    assert amp.status().device_latency_ms == pytest.approx(7.5)
    amp.stream.device_latency_s = 0.0191
    _after_callbacks(amp, 4)
    assert amp.status().device_latency_ms == pytest.approx(19.1)
    assert "19.1 ms devices (measured)" in amp.report()
    amp.stop()
    amp = _amp()
    amp.stream = DuplexStream(amp.callback, BLOCK, np.zeros((RATE, 2), np.float32), None)
    amp.start()
    _after_callbacks(amp, 4)
    assert amp.status().device_latency_ms is None and "devices" not in amp.report()
    amp.stop()


def test_start_returns_at_once_and_status_meters_each_ear():
    """The non-blocking API: start, read per-ear levels and latency while the audio thread runs,
    swap settings whole, stop."""
    left = tone(1000, 60.0, 0.5, RATE)
    right = (left * 10 ** (-20 / 20)).astype(np.float32)  # the right microphone 20 dB quieter
    amp = _amp(audiogram="N3")
    amp.stream = DuplexStream(amp.callback, BLOCK, np.stack([left, right], axis=1))
    amp.start()
    assert amp.running
    while amp.callbacks < RATE // BLOCK:  # a second of audio through the real chain
        time.sleep(0.01)
    status = amp.status()
    assert status.running and status.device_latency_ms == pytest.approx(4.0)
    expected_left = float(_db(left))
    assert status.input_rms_dbfs[0] == pytest.approx(expected_left, abs=0.5)
    assert status.input_rms_dbfs[0] - status.input_rms_dbfs[1] == pytest.approx(20.0, abs=0.5)
    assert status.input_peak_dbfs[0] == pytest.approx(
        expected_left + 3.0, abs=0.5
    )  # a sine's crest factor
    assert status.output_rms_dbfs[0] > status.input_rms_dbfs[0]  # amplified for the N3 loss
    before = status.output_rms_dbfs[0]
    louder = amp.profile.with_adjustments(boost_db=6)
    amp.update(louder)
    settled = amp.callbacks + RATE // BLOCK
    while amp.callbacks < settled:
        time.sleep(0.01)
    assert amp.profile is louder and amp.status().output_rms_dbfs[0] - before == pytest.approx(
        6.0, abs=1.0
    )
    amp.stop()
    amp.stop()  # twice is harmless
    assert not amp.running and not amp.status().running and amp.stream.closed


def test_parse_command():
    assert parse_command("nr 0.5") == ("set", {"noise_strength": 0.5})
    assert parse_command("noise spectral") == ("set", {"noise_kind": "spectral"})
    with pytest.raises(OpenhearError):
        parse_command("boost")


def test_live_without_a_device_is_a_one_line_error():
    result = subprocess.run(
        [
            OPENHEAR,
            "amplify",
            "--live",
            "--audiogram",
            "N3",
            "--input-device",
            "no such mic",
            "--duration",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "device" in result.stderr, result.stderr


def test_choosing_a_noise_suppressor_live_swaps_it_in_and_reports_its_delay():
    amp = LiveAmplifier(fit_listener(preset("N3")), RATE, BLOCK, input_channels=1)
    x = tone(1000, 60.0, 0.3, RATE)
    _run(amp, x)
    plain = amp.processing_latency_ms
    assert "noise spectral 0.5" in command(
        amp, "noise spectral"
    )  # strength defaults to 0.5 when off
    y = _run(amp, x)
    assert amp.processing_latency_ms > plain
    assert np.all(np.isfinite(y)) and _db(y[-RATE // 10 :, 0]) > _db(x) - 20


def test_bad_microphone_samples_are_silenced_and_the_chain_keeps_amplifying(standin_card):
    """NaN, +-inf and 1e30 from the sound card, single and as whole blocks, on the stand-in duplex
    stream's audio thread: every output block is finite and within the ceiling, the meters stay
    numbers, and the tone after them is amplified as before."""
    x = tone(1000, 60.0, 0.5, RATE)
    stereo = np.stack([x, x], axis=1)
    for value, at in zip(BAD_SAMPLES.values(), (1000, 6000, 11000, 16000), strict=True):
        stereo[at, 0] = value
        stereo[at + 3000 : at + 3000 + BLOCK, 1] = value
    card = standin_card(stereo, RATE, input_channels=2)
    amp = LiveAmplifier.open(fit_listener(preset("N3")), LiveOptions(block_frames=BLOCK))
    heard = []

    def record(indata, outdata, frames, stamps, status):
        amp.callback(indata, outdata, frames, stamps, status)
        heard.append(outdata.copy())

    card.streams[-1].callback = record
    amp.start()
    while amp.callbacks < 2 * len(x) // BLOCK:  # twice through the looped signal
        time.sleep(0.01)
    status = amp.status()
    amp.stop()
    y = np.concatenate(heard)
    assert np.all(np.isfinite(y))
    assert peak_db_spl(y) <= amp.profile.adjustments.max_output_db_spl + 1e-3
    assert status.replaced_samples >= 4 * (1 + BLOCK) and "bad microphone samples" in amp.report()
    assert all(np.isfinite(status.input_rms_dbfs + status.input_peak_dbfs))
    clean = LiveAmplifier(fit_listener(preset("N3")), RATE, BLOCK, input_channels=1)
    expected = _run(clean, x)[-RATE // 10 :]  # the tone's steady amplified level
    assert _db(y[-RATE // 10 :]) == pytest.approx(_db(expected), abs=1.0)
