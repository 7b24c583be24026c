"""The Calls view, driven in Chromium against the live app, with a real SIP peer on 127.0.0.1
(tests/calls/sip_peer.py: pjsua2 alone, in its own process) that plays real speech into the call
and records what it hears. The server's phone is the library `openhear call` uses.

No timing is asserted: every wait is for an event, bounded only so that a hung test ends.
"""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import numpy as np
import pytest
import soundfile as sf
from audio.test_system_audio import pactl, pulse_server  # noqa: F401  (the test's own daemon)
from calls.conftest import WAIT_S, Peer, free_port

from openhear.asr.wer import wer
from openhear.audio.files import read_audio

from .conftest import show

pytest.importorskip("pjsua2", reason="SIP calls need the calls extra (scripts/setup.sh --test)")
pytestmark = pytest.mark.slow

CAPTION_WER = 0.35
"""Tiny.en through a phone codec, on a few seconds of read speech: loose, for model jitter."""
REPLY = "Please call me back tomorrow morning."
WAIT_MS = WAIT_S * 1000


@pytest.fixture
def far_end():
    """Peers started by a test, killed at its end whatever happened."""
    started: list[Peer] = []

    def start(*args: str) -> Peer:
        peer = Peer(*args)
        started.append(peer)
        return peer

    yield start
    for peer in started:
        if peer.process.poll() is None:
            peer.process.kill()
            peer.process.wait()


def speech(manifest, utterance_id: str):
    return next(u for u in manifest if u.id == utterance_id)


def wait_until(check, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def badge(page, state: str) -> None:
    page.wait_for_selector(f'#call-badge[data-state="{state}"]', timeout=WAIT_MS)


def saved_lines(page, url: str) -> tuple[int, list[str], list[str]]:
    """(conversation id, their lines, my lines) of the call the page says it saved."""
    link = page.locator("#call-state a[href='#conversation']")
    number = int(link.text_content().split("conversation ")[1].split()[0])
    entries = httpx.get(f"{url}/api/conversations/{number}").json()["entries"]
    return (
        number,
        [e["text"] for e in entries if e["speaker"] == "them"],
        [e["text"] for e in entries if e["speaker"] == "me"],
    )


def test_a_call_dialled_from_the_page_is_captioned_replied_to_keyed_and_saved(
    page, live_app, far_end, manifest, tmp_path, transcriber
):
    them = speech(manifest, "cmu_arctic_aew_a0003")
    far = far_end(
        "--codec", "g722", "--play", str(them.path), "--record", str(tmp_path / "far.wav")
    )
    show(page, "calls")
    page.uncheck("#call-disclosure")
    page.fill("#call-target", far.uri)
    page.press("#call-target", "Enter")
    badge(page, "connected")
    assert "G.722, wideband" in page.text_content("#call-state")
    far.event("played")
    # their words, captioned live in the page (a final line) while the call is up
    page.wait_for_selector("#call-transcript li.them", timeout=WAIT_MS)
    page.fill("#call-reply", REPLY)
    page.press("#call-reply", "Enter")
    page.wait_for_selector("#call-transcript li.me", timeout=WAIT_MS)
    assert page.input_value("#call-reply") == ""
    far.event("heard")  # the reply, whole, at the far end
    page.click("details.dtmf summary")  # the keypad, folded away until a phone menu needs it
    page.click("#call-keypad button[aria-label='Press hash']")
    page.click("#call-keypad button[aria-label='Press 1']")
    wait_until(lambda: len(far.events("dtmf")) == 2, "two key presses at the far end")
    page.click("#call-hangup")
    badge(page, "ended")
    far.finish()
    assert "you hung up" in page.text_content("#call-state")
    assert [e["digit"] for e in far.events("dtmf")] == ["#", "1"]
    number, captions, replies = saved_lines(page, live_app.url)
    assert wer(them.text, " ".join(captions)) <= CAPTION_WER, captions
    assert replies == [REPLY]
    heard = "".join(w.text for w in transcriber.transcribe(read_audio(tmp_path / "far.wav").mono()))
    assert wer(REPLY, heard) <= CAPTION_WER, heard
    shown = page.locator("#call-transcript li.them").all_text_contents()
    assert " ".join(s.removeprefix("Them:") for s in shown).split() == " ".join(captions).split()
    show(page, "conversation")  # the saved call is listed there
    page.wait_for_selector(f"#conv-list button[aria-label='Open conversation {number}']")


def test_an_incoming_call_rings_is_answered_held_resumed_and_ends_when_they_hang_up(
    page, live_app, far_end, manifest
):
    them = speech(manifest, "cmu_arctic_unknown-spk_a0010")
    port = free_port()
    show(page, "calls")
    page.fill("#call-port", str(port))
    page.click("#call-wait")
    badge(page, "waiting")
    far = far_end("--call", f"sip:openhear@127.0.0.1:{port}", "--play", str(them.path))
    page.wait_for_selector("#call-ringing:not([hidden])", timeout=WAIT_MS)
    assert "sip:peer@127.0.0.1" in page.text_content("#call-ringing-text")
    page.click("#call-answer")
    badge(page, "connected")
    far.event("heard")  # the disclosure notice, spoken into the call once it connected
    far.event("played")
    page.wait_for_selector("#call-transcript li.them", timeout=WAIT_MS)
    far.command("hold")  # shown, and announced to screen readers
    badge(page, "on hold")
    page.wait_for_selector(
        "#announcer:has-text('has put the call on hold')", state="attached", timeout=WAIT_MS
    )
    assert "has put the call on hold" in page.text_content("#call-state")
    assert page.is_disabled("#call-send")
    far.command("resume")
    page.wait_for_selector("#announcer:has-text('Call resumed')", state="attached", timeout=WAIT_MS)
    badge(page, "connected")
    far.hang_up()
    badge(page, "ended")
    far.finish()
    assert "they hung up" in page.text_content("#call-state")
    _, captions, replies = saved_lines(page, live_app.url)
    assert wer(them.text, " ".join(captions)) <= CAPTION_WER, captions
    assert len(replies) == 1  # the notice


def test_a_refused_call_is_said_in_one_line_and_the_page_can_call_again(page, far_end):
    far = far_end("--answer-code", "486")
    show(page, "calls")
    page.fill("#call-target", far.uri)
    page.click("#call-dial")
    badge(page, "ended")
    far.finish()
    assert "is busy (486 Busy Here)" in page.text_content("#call-state")
    assert page.is_enabled("#call-dial")
    page.fill("#call-target", "not an address")
    page.click("#call-dial")
    page.wait_for_selector("#call-state.error")
    assert "is not a SIP address" in page.text_content("#call-state")


def test_without_pjsua2_the_view_says_what_to_install(page, monkeypatch):
    monkeypatch.setitem(sys.modules, "pjsua2", None)  # as if the calls extra were not installed
    show(page, "calls")
    page.wait_for_selector("#call-sip-missing:not([hidden])")
    assert "pip install 'openhear[calls]'" in page.text_content("#call-sip-missing")
    assert page.is_disabled("#call-dial")
    assert page.is_enabled("#call-system")


def test_a_call_in_another_app_is_captioned_and_the_reply_goes_to_the_virtual_microphone(
    page,
    live_app,
    pulse_server,  # noqa: F811  (the imported fixture, requested by name)
    manifest,
    tmp_path,
    monkeypatch,
):
    """A PulseAudio daemon of the test's own stands for the computer's sound: `paplay` is the call
    app playing the other person; the server (in this process) records its output's monitor."""
    if "soundcard" in sys.modules:
        pytest.skip("soundcard is already connected to another sound server in this process")
    monkeypatch.setenv("PULSE_SERVER", pulse_server)
    them = speech(manifest, "cmu_arctic_aew_a0003")
    audio = read_audio(them.path)
    played = tmp_path / "played.wav"  # the speech, then a pause: it ends an utterance
    sf.write(played, np.concatenate([audio.mono(), np.zeros(3 * audio.sample_rate)]), 16000)
    show(page, "calls")
    page.uncheck("#call-disclosure")
    page.click("#call-system")
    badge(page, "connected")
    assert "openhear microphone" in page.text_content("#call-state")
    assert "openhear_mic" in pactl(pulse_server, "list", "short", "sources").stdout
    subprocess.run(["paplay", "--server", pulse_server, str(played)], check=True, timeout=WAIT_S)
    page.wait_for_selector("#call-transcript li.them", timeout=WAIT_MS)
    page.fill("#call-reply", REPLY)
    page.press("#call-reply", "Enter")
    page.wait_for_selector("#call-transcript li.me", timeout=WAIT_MS)
    page.click("#call-hangup")
    badge(page, "ended")
    _, captions, replies = saved_lines(page, live_app.url)
    assert wer(them.text, " ".join(captions)) <= CAPTION_WER, captions
    assert replies == [REPLY]
    assert "openhear_mic" not in pactl(pulse_server, "list", "short", "sources").stdout
