"""Calls in any app, through a real PulseAudio daemon started here (headless, its own socket, a null
sink as the computer's speakers): what the computer plays is captioned with `--system`, and a
reply spoken into the virtual microphone is recorded from it, as a call app would take it.

The daemon's tools (`paplay`, `parecord`, `pactl`) stand for the other apps; openhear runs as the
real command. Waits are for events, bounded only so that a hung test ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from openhear.asr.wer import wer
from openhear.audio.files import read_audio
from openhear.audio.system import VIRTUAL_SINK, VIRTUAL_SOURCE

pytestmark = pytest.mark.slow
OPENHEAR = str(Path(sys.executable).parent / "openhear")
WAIT_S = 120.0
REPLY = "Could you say that again a little more slowly?"
CAPTION_WER = 0.35
"""Tiny.en on a few seconds of read speech: loose, for model jitter."""
ALARM = Path(__file__).parents[1] / "data" / "alerts" / "freesound_325367_fire_house_alarm.wav"


@pytest.fixture(scope="module")
def pulse_server(tmp_path_factory) -> str:
    """The address of a PulseAudio daemon of our own, with one null sink, the default output."""
    if not shutil.which("pulseaudio") or not shutil.which("pactl"):
        pytest.skip("needs Debian's pulseaudio and pulseaudio-utils (scripts/setup.sh --test)")
    home = tmp_path_factory.mktemp("pulse")
    server = f"unix:{home / 'native'}"
    daemon = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
         "-L", f"module-native-protocol-unix socket={home / 'native'} auth-anonymous=1",
         "-L", "module-null-sink sink_name=speakers sink_properties=device.description=Speakers"],
        env={**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(home),
             "XDG_CONFIG_HOME": str(home)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while pactl(server, "info").returncode != 0:
        assert daemon.poll() is None and time.monotonic() < deadline, "pulseaudio did not start"
        time.sleep(0.1)
    yield server
    daemon.terminate()
    daemon.wait(30)


def pactl(server: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["pactl", "--server", server, *args], capture_output=True, text=True)


def our_modules(server: str) -> list[str]:
    """The PulseAudio modules openhear loaded (its virtual microphone's sink and source)."""
    modules = pactl(server, "list", "short", "modules").stdout.splitlines()
    return [m for m in modules if f"sink_name={VIRTUAL_SINK}" in m or VIRTUAL_SOURCE in m]


def recording_from(server: str, source: str) -> bool:
    """Whether a recording stream takes sound from the named source."""
    indexes = [
        line.split("\t")[0]
        for line in pactl(server, "list", "short", "sources").stdout.splitlines()
        if line.split("\t")[1:2] == [source]
    ]
    streams = pactl(server, "list", "short", "source-outputs").stdout.splitlines()
    return any(line.split("\t")[1:2] == indexes[:1] for line in streams) if indexes else False


class Command:
    """A process whose stdout and stderr lines are read as they come."""

    def __init__(self, args: list[str], server: str, stdin: bool = False):
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PULSE_SERVER": server, "PYTHONUNBUFFERED": "1"},
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._threads = [
            threading.Thread(target=self._read, args=(s, lines), daemon=True)
            for s, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err))
        ]
        for t in self._threads:
            t.start()

    @staticmethod
    def _read(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def wait_for(self, lines: list[str], text: str) -> str:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            found = [line for line in lines if text in line]
            if found:
                return found[0]
            assert self.process.poll() is None or any(t.is_alive() for t in self._threads), (
                self.out,
                self.err,
            )
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never came: {self.out} {self.err}")

    def interrupt(self) -> None:
        self.process.send_signal(signal.SIGINT)

    def finish(self) -> int:
        code = self.process.wait(WAIT_S)
        for t in self._threads:
            t.join(WAIT_S)
        return code


@pytest.fixture
def commands():
    started: list[Command] = []
    yield started
    for command in started:
        if command.process.poll() is None:
            command.process.kill()
            command.process.wait()


def test_what_the_computer_plays_is_captioned(pulse_server, manifest, tmp_path, commands):
    speech = next(u for u in manifest if u.id == "cmu_arctic_aew_a0003")
    audio = read_audio(speech.path)
    played = tmp_path / "played.wav"  # the speech, then a pause: it ends an utterance
    sf.write(played, np.concatenate([audio.mono(), np.zeros(3 * audio.sample_rate)]), 16000)
    caption = Command([OPENHEAR, "caption", "--system"], pulse_server)
    commands.append(caption)
    caption.wait_for(caption.err, "captioning what Speakers plays")
    subprocess.run(["paplay", "--server", pulse_server, str(played)], check=True, timeout=WAIT_S)
    caption.interrupt()
    assert caption.finish() == 0, caption.err
    assert wer(speech.text, " ".join(caption.out)) <= CAPTION_WER, caption.out
    assert not any("Traceback" in line for line in caption.err), caption.err


def test_an_alarm_the_computer_plays_is_an_alert(pulse_server, commands):
    alerts = Command([OPENHEAR, "alerts", "--system", "--json"], pulse_server)
    commands.append(alerts)
    alerts.wait_for(alerts.err, "listening to what Speakers plays for smoke")
    subprocess.run(["paplay", "--server", pulse_server, str(ALARM)], check=True, timeout=WAIT_S)
    line = alerts.wait_for(alerts.out, '"sound": "smoke"')
    alerts.interrupt()
    assert alerts.finish() == 0, alerts.err
    assert '"life_safety": true' in line and '"wall_time"' in line
    assert not any("Traceback" in line for line in alerts.err), alerts.err


def test_a_reply_goes_into_the_virtual_microphone_intact(
    pulse_server, tmp_path, commands, transcriber
):
    converse = Command(
        [OPENHEAR, "converse", "--system", "--no-disclosure"], pulse_server, stdin=True
    )
    commands.append(converse)
    converse.wait_for(converse.err, "choose it in your call app")
    assert "openhear_mic" in pactl(pulse_server, "list", "short", "sources").stdout
    recorder = subprocess.Popen(  # the call app, recording its microphone
        ["parecord", "--server", pulse_server, "--device", "openhear_mic", "--raw",
         "--format=s16le", "--rate=16000", "--channels=1", "--latency-msec=20"],  # as a call app
        stdout=subprocess.PIPE,
    )  # fmt: skip
    recorded: list[bytes] = []
    reader = threading.Thread(target=lambda: recorded.append(recorder.stdout.read()), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + WAIT_S
        while not recording_from(pulse_server, "openhear_mic"):
            assert time.monotonic() < deadline, "parecord never began to record"
            time.sleep(0.05)  # the app's recording stream is up: now the reply may come
        converse.process.stdin.write(REPLY + "\n")
        converse.process.stdin.flush()
        converse.wait_for(converse.out, f"me: {REPLY}")
        converse.interrupt()  # the reply still plays to its end, then the microphone goes
        assert converse.finish() == 0, converse.err
    finally:
        recorder.terminate()  # its source is gone (the server moved the stream elsewhere)
        recorder.wait(WAIT_S)
    reader.join(WAIT_S)
    heard = np.frombuffer(b"".join(recorded), "<i2").astype(np.float32) / 32768
    words = "".join(w.text for w in transcriber.transcribe(heard))
    assert wer(REPLY, words) <= CAPTION_WER, words
    assert not our_modules(pulse_server)
    assert "openhear_mic" not in pactl(pulse_server, "list", "short", "sources").stdout


def test_a_killed_openhear_leaves_no_second_microphone(pulse_server, commands):
    first = Command([OPENHEAR, "converse", "--system", "--no-disclosure"], pulse_server, True)
    commands.append(first)
    first.wait_for(first.err, "choose it in your call app")
    first.process.kill()  # kill -9: its modules stay behind
    first.finish()
    assert "openhear_mic" in pactl(pulse_server, "list", "short", "sources").stdout
    second = Command(
        [OPENHEAR, "converse", "--system", "--no-disclosure", "--duration", "1"], pulse_server, True
    )
    commands.append(second)
    second.wait_for(second.err, "choose it in your call app")
    sources = pactl(pulse_server, "list", "short", "sources").stdout
    assert sources.count("openhear_mic") == 1, sources
    assert second.finish() == 0, second.err
    assert not our_modules(pulse_server)


@pytest.mark.parametrize(
    "command", [["caption", "--system"], ["converse", "--system"], ["alerts", "--system"]]
)
def test_without_a_sound_server_it_is_one_line(tmp_path, command):
    result = subprocess.run(
        [OPENHEAR, *command],
        capture_output=True,
        text=True,
        env={**os.environ, "PULSE_SERVER": f"unix:{tmp_path / 'nothing-here'}"},
        timeout=WAIT_S,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert result.stderr == (
        "openhear: error: what this computer plays can be captioned only through PulseAudio or "
        "PipeWire on Linux: no sound server is running\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["caption", "--system", "talk.wav"],
            "give an audio FILE, - for raw PCM on stdin, --live, or",
        ),
        (["caption", "--system", "--live"], "give an audio FILE"),
        (
            ["alerts", "--system", "--live"],
            "give an audio FILE, - for raw PCM on stdin, --live, or",
        ),
        (["converse", "--system", "--live"], "say what to caption"),
        (["converse", "--system", "--realtime"], "--realtime paces a FILE"),
        (["converse", "--system", "--duration", "0"], "--duration needs --live or --system"),
    ],
)
def test_system_usage_errors(args, message, capsys):
    from openhear.cli import main

    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
