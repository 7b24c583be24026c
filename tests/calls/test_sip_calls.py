"""Real calls between two SIP user agents on 127.0.0.1: `openhear call` and a pjsua2 peer
(tests/calls/sip_peer.py) that plays real speech into the call and records what it hears.

Captions are checked against the recordings' transcripts and replies by captioning the peer's
recording back with Whisper, with bounds loose enough for model jitter. No timing is asserted:
every wait is for an event, bounded only so that a hung test ends.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter

import pytest

from openhear.asr.wer import normalize, wer
from openhear.audio.files import read_audio
from openhear.calls.account import SipAccount, save_account
from openhear.relay.session import DEFAULT_DISCLOSURE
from openhear.relay.store import TranscriptStore

from .conftest import free_port
from .registrar import Registrar

pytest.importorskip("pjsua2", reason="SIP calls need the calls extra (scripts/setup.sh --test)")
pytestmark = pytest.mark.slow

CAPTION_WER = 0.35
"""Tiny.en through a phone codec, on a few seconds of read speech: loose, for model jitter."""
REPLY = "Please call me back tomorrow morning."
SHORT_REPLY_WER = 0.5
"""REPLY's 6 words, heard back by tiny.en through G.711: its first word, said without context,
came back as "It's called" once in CI (3 errors once Whisper's normaliser expands "it's"). Missing
or garbled, the reply still fails."""
SECRET = "correct horse battery staple"
NOTICE_HEARD_S = 2.5
"""Seconds of sound the peer hears of the standard notice before it counts as heard whole: its
second sentence alone sounds for about 3 s in the test voice, its first for 0.6 s. On a loaded
machine the second may come more than the peer's quiet gap after the first (two bursts)."""


def speech(manifest, utterance_id: str):
    return next(u for u in manifest if u.id == utterance_id)


def saved(err: list[str]) -> tuple[list[str], list[str]]:
    """(their lines, my lines) of the conversation the command says it saved."""
    number = next(int(m.group(1)) for e in err if (m := re.search(r"conversation (\d+) saved", e)))
    with TranscriptStore() as store:
        entries = store.get(number).entries
    return (
        [e.text for e in entries if e.speaker == "them"],
        [e.text for e in entries if e.speaker == "me"],
    )


def heard_by_peer(path, transcriber) -> str:
    audio = read_audio(path)
    return "".join(w.text for w in transcriber.transcribe(audio.mono()))


def assert_clean(code: int, err: list[str]) -> None:
    assert code == 0, err
    assert not any("Traceback" in e or "error" in e for e in err), err


def shown_lines(out: list[str], speaker: str = "them") -> tuple[list[str], list[str]]:
    """(lines shown as they came, corrected lines): the revision pass may rewrite a stored line
    after it was shown, and the console then shows the stored text again, marked (corrected)."""
    fast = [line.split(f"] {speaker}: ", 1)[1] for line in out if f"] {speaker}: " in line]
    corrected = [
        line.split(f"(corrected) {speaker}: ", 1)[1] for line in out if "(corrected)" in line
    ]
    return fast, corrected


def all_shown(captions: list[str], out: list[str]) -> bool:
    """Whether every stored line of theirs was shown: as a correction, or within the lines shown
    as they came (the console joins their lines into sentences, so one line shown may hold several
    stored ones, with a full stop the next one showed to be invented left out)."""
    fast, corrected = shown_lines(out)
    return all(c in corrected or within(c, " ".join(fast)) for c in captions)


def within(part: str, whole: str) -> bool:
    """Whether the words of `part` come in `whole`, one after another (as WER counts words)."""
    words, n = normalize(whole), len(normalize(part))
    return any(words[i : i + n] == normalize(part) for i in range(len(words) - n + 1))


def prefix_wer(reference: str, heard: list[str]) -> float:
    """WER of what was heard against the start of the reference it matches best (a call cut
    short may end anywhere, even inside a word)."""
    ref, hyp = normalize(reference), " ".join(heard)
    return min(wer(" ".join(ref[:n]), hyp) for n in range(1, len(ref) + 1))


def test_g711_call_captions_them_speaks_a_typed_reply_and_presses_keys(
    manifest, peer, openhear, tmp_path, transcriber
):
    them = speech(manifest, "cmu_arctic_aew_a0003")
    far = peer("--codec", "pcmu", "--play", str(them.path), "--record", str(tmp_path / "far.wav"))
    call = openhear(far.uri, "--no-disclosure", typed=f"{REPLY}\n#1\n")
    far.event("played")
    far.event("heard")  # the reply, whole
    far.hang_up()
    code, out, err = call.finish()
    far.finish()
    assert_clean(code, err)
    assert any("connected (G.711, narrowband)" in e for e in err), err
    assert any("they hung up" in e for e in err), err
    assert far.events("connected")[0]["codec"] == "PCMU"
    assert [e["digit"] for e in far.events("dtmf")] == ["#", "1"]
    captions, replies = saved(err)
    assert wer(them.text, " ".join(captions)) <= CAPTION_WER, captions
    assert replies == [REPLY]
    assert any(line.endswith(f"me: {REPLY}") for line in out), out
    heard = heard_by_peer(tmp_path / "far.wav", transcriber)
    assert wer(REPLY, heard) <= SHORT_REPLY_WER, heard


def test_g722_call_speaks_the_notice_and_ctrl_c_hangs_up(
    manifest, peer, openhear, tmp_path, transcriber
):
    them = speech(manifest, "cmu_arctic_unknown-spk_a0010")
    far = peer("--codec", "g722", "--play", str(them.path), "--record", str(tmp_path / "far.wav"))
    call = openhear(far.uri)
    far.event("played")
    far.wait(lambda: sum(e["seconds"] for e in far.events("heard")) >= NOTICE_HEARD_S)
    call.interrupt()
    code, out, err = call.finish()
    far.finish()
    assert_clean(code, err)
    assert any("connected (G.722, wideband)" in e for e in err), err
    assert any("you hung up" in e for e in err), err
    assert far.events("connected")[0]["codec"] == "G722"
    assert far.events("disconnected")
    captions, replies = saved(err)
    assert wer(them.text, " ".join(captions)) <= CAPTION_WER, captions
    assert replies == [DEFAULT_DISCLOSURE]
    heard = heard_by_peer(tmp_path / "far.wav", transcriber)
    assert wer(DEFAULT_DISCLOSURE, heard) <= CAPTION_WER, heard


def test_answering_a_call_and_hanging_up_mid_sentence_keeps_what_was_heard(
    manifest, peer, openhear
):
    them = speech(manifest, "librispeech_dev-clean_2412-153948-0000")  # 11.7 s
    port = free_port()
    call = openhear("--answer", "--port", str(port), "--no-disclosure", "--duration", "8")
    call.err.wait_for(lambda line: "waiting for a call" in line)
    far = peer("--call", f"sip:openhear@127.0.0.1:{port}", "--play", str(them.path))
    code, out, err = call.finish()
    far.finish()
    assert_clean(code, err)
    assert any("incoming call from sip:peer@127.0.0.1: answering" in e for e in err), err
    assert any("you hung up" in e for e in err), err
    assert far.events("disconnected")
    captions, _ = saved(err)
    assert captions and all_shown(captions, out), (captions, out)
    assert prefix_wer(them.text, captions) <= CAPTION_WER, captions
    assert len(normalize(" ".join(captions))) < len(normalize(them.text))  # cut short


def test_hold_and_resume_are_said_and_their_hanging_up_mid_sentence_keeps_the_transcript(
    manifest, peer, openhear
):
    them = speech(manifest, "librispeech_dev-clean_2412-153948-0001")  # 10.5 s
    far = peer("--codec", "g722", "--play", str(them.path))
    call = openhear(far.uri, "--no-disclosure")
    first = call.out.wait_for(lambda line: "them:" in line)
    far.command("hold")  # a re-INVITE with sendonly audio: they go on playing, as music would
    call.err.wait_for(lambda line: line.startswith("openhear: on hold"))
    # the hold's re-INVITE done on their side too (pjsua refuses a second one while it is open)
    far.wait(lambda: any(e["status"] == "local hold" for e in far.events("media")))
    far.command("resume")
    call.err.wait_for(lambda line: line == "openhear: call resumed")
    resumed_at = shown_words(call.out.shown())  # captions go on: more words after the resume
    call.out.wait_for(lambda _: shown_words(call.out.shown()) >= max(12, resumed_at + 1))
    far.hang_up()
    code, out, err = call.finish(keep_typing=True)  # the call ends while the user could type
    far.finish()
    assert_clean(code, err)
    assert [e["status"] for e in far.events("media")][:2] == ["local hold", "active"]
    assert any("they hung up" in e for e in err), err
    captions, _ = saved(err)
    fast, _ = shown_lines(out)
    assert any(line.startswith(first.split("them: ", 1)[1]) for line in fast), (first, fast)
    assert all_shown(captions, out), (captions, out)  # all stored was shown
    assert prefix_wer(them.text, captions) <= CAPTION_WER, captions
    assert len(normalize(" ".join(captions))) < len(normalize(them.text))  # cut short


def test_a_killed_openhear_keeps_every_caption_it_showed(manifest, peer, openhear):
    them = speech(manifest, "librispeech_dev-clean_2412-153948-0001")
    far = peer("--play", str(them.path))
    call = openhear(far.uri, "--no-disclosure", typed=f"{REPLY}\n")
    call.out.wait_for(lambda line: "me:" in line)
    call.out.wait_for(lambda line: "them:" in line)
    call.process.kill()  # kill -9
    code, out, _ = call.finish()
    assert code == -9
    with TranscriptStore() as store:
        (conversation,) = store.list_conversations()
        entries = store.get(conversation.id).entries
    stored = [f"{e.speaker}: {e.text}" for e in entries]
    mine = [line.split("] ", 1)[1] for line in out if "] me: " in line]
    fast = [line.split("] them: ", 1)[1] for line in out if "] them: " in line]
    corrected = [line.split("(corrected) ", 1)[1] for line in out if "(corrected) " in line]
    assert mine and fast and not Counter(corrected) - Counter(stored), (corrected, stored)
    assert not Counter(mine) - Counter(stored), (mine, stored)
    # what was shown of theirs is stored (their lines joined into sentences as on the console),
    # or the revision pass replaced it (and said so) before the kill
    theirs = " ".join(e.text for e in entries if e.speaker == "them")
    assert all(within(line, theirs) for line in fast) or corrected, (fast, stored)


def shown_words(out: list[str]) -> int:
    return len(normalize(" ".join(line.split("them: ", 1)[1] for line in out if "them: " in line)))


def one_line_error(code: int, err: list[str]) -> str:
    assert code == 1, err
    errors = [e for e in err if e.startswith("openhear: error: ")]
    assert len(errors) == 1, err
    assert not any("Traceback" in e for e in err), err
    return errors[0]


def test_a_refused_call_is_one_line(peer, openhear):
    far = peer("--answer-code", "486")
    code, out, err = openhear(far.uri).finish()
    far.finish()
    assert "is busy (486 Busy Here)" in one_line_error(code, err)
    assert out == []


def test_an_unreachable_peer_is_one_line_within_the_timeout(openhear):
    port = free_port()  # nothing listens there
    code, out, err = openhear(f"sip:nobody@127.0.0.1:{port}", "--timeout", "2").finish()
    assert f"no reply from sip:nobody@127.0.0.1:{port} within 2 s" in one_line_error(code, err)
    assert out == []


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("sip:nobody@127.0.0.1:{port};transport=tcp", "cannot reach"),
        ("sip:nobody@no-such-host.invalid", "cannot reach"),
    ],
)
def test_no_way_to_the_other_side_is_one_line(openhear, target, message):
    code, out, err = openhear(target.format(port=free_port()), "--timeout", "30").finish()
    assert message in one_line_error(code, err)


def test_an_address_this_machine_does_not_have_is_one_line(openhear):
    code, _, err = openhear("sip:a@127.0.0.1:5060", "--bind", "192.0.2.1").finish()
    assert "cannot listen for SIP (UDP) on 192.0.2.1" in one_line_error(code, err)


@pytest.fixture
def certificate(tmp_path) -> tuple[str, str]:
    """(certificate, certificate and key) PEM files of a self-signed certificate for 127.0.0.1."""
    crt, key = tmp_path / "peer.crt", tmp_path / "peer.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(crt)],
        check=True, capture_output=True,
    )  # fmt: skip
    both = tmp_path / "peer.pem"
    both.write_text(key.read_text() + crt.read_text())
    return str(crt), str(both)


def test_tls_and_srtp_with_a_trusted_certificate_only(manifest, peer, openhear, certificate):
    them = speech(manifest, "cmu_arctic_aew_a0003")
    crt, pem = certificate
    far = peer(
        "--transport", "tls", "--cert", pem, "--srtp", "optional", "--play", str(them.path),
        "--hangup-after-play",
    )  # fmt: skip
    uri = f"{far.uri};transport=tls"
    code, out, err = openhear(uri, "--no-disclosure").finish()
    assert "its TLS certificate is not trusted" in one_line_error(code, err)
    code, out, err = openhear(uri, "--no-disclosure", "--tls-ca", crt).finish()
    far.finish()
    assert_clean(code, err)
    assert any("connected (G.722, wideband; encrypted audio (SRTP))" in e for e in err), err
    assert far.events("connected")[0]["srtp"] is True
    captions, _ = saved(err)
    assert wer(them.text, " ".join(captions)) <= CAPTION_WER, captions


@pytest.mark.parametrize(("password", "message"), [
    ("wrong", "refused user 'alice' (403): check the user name and password"),
    (SECRET, "sip:100@127.0.0.1:{port} did not answer (480 Temporarily Unavailable)"),
])  # fmt: skip
def test_the_account_registers_with_its_password_and_a_wrong_one_is_one_line(
    openhear, monkeypatch, password, message
):
    registrar = Registrar("alice", SECRET)
    try:
        save_account(SipAccount(f"sip:alice@127.0.0.1:{registrar.port}", password=password))
        code, out, err = openhear("100", "--verbose", "--timeout", "30").finish()
    finally:
        registrar.close()
    assert message.format(port=registrar.port) in one_line_error(code, err)
    assert registrar.requests[:2] == ["REGISTER", "REGISTER"]  # challenged, then answered
    assert password not in " ".join(out + err)
