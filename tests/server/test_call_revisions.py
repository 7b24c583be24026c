"""The Calls view's events (GET /api/calls): a 'them' line carries its utterance number, and the
revision pass's rewrite reaches the page as a "revision" event naming it (the caption WebSocket's
format), so the page can show what the saved call holds. Real speech drives the real VAD; Whisper
is scripted (openhear.testing) to mishear a word after a pause for effect, as a call's
captioner would hear it."""

from __future__ import annotations

from asr.scripted import pause_for_effect
from fastapi.testclient import TestClient

from openhear.asr.streaming import StreamingCaptioner
from openhear.asr.whisper import SAMPLE_RATE
from openhear.audio.block import AudioBlock
from openhear.relay.session import ConversationSession, RelayOptions
from openhear.server import ServerOptions, create_app
from openhear.server.services import Services
from openhear.testing import ScriptedTranscriber


def test_the_calls_page_is_sent_revisions_of_the_lines_it_showed(manifest, tmp_path):
    audio, words, alone, _ = pause_for_effect(manifest)
    app = create_app(ServerOptions(), Services(data_dir=tmp_path / "data"))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        desk = app.state.openhear.calls
        store = app.state.openhear.conversations.store
        captioner = StreamingCaptioner(ScriptedTranscriber(audio, words, heard_alone=alone))
        session = ConversationSession(
            store, captioner, None, RelayOptions(disclosure="", suppress_echo=False)
        )
        desk.report(session.say("Hello, who is it?").entry, session)
        for i in range(0, audio.size, 1600):
            block = AudioBlock.from_mono(audio[i : i + 1600], SAMPLE_RATE, i / SAMPLE_RATE)
            for event in session.hear(block):
                desk.report(event, session)
        for event in list(session.close()):
            desk.report(event, session)
        events = client.get("/api/calls").json()["events"]
        stored = [(e.speaker, e.text) for e in store.get(session.id).entries]
    lines = [e for e in events if e["type"] == "line"]
    assert lines[0] == {
        "seq": lines[0]["seq"],
        "type": "line",
        "speaker": "me",
        "text": "Hello, who is it?",
        "start_s": 0.0,
        "utterance": 0,
    }
    theirs = [e for e in lines if e["speaker"] == "them"]
    assert theirs and all(e["utterance"] >= 1 for e in theirs)
    assert any("knock" in e["text"] for e in theirs)  # the fast pass showed its mishearing first
    revisions = [e for e in events if e["type"] == "revision"]
    assert revisions and {r["utterance"] for r in revisions} <= {e["utterance"] for e in theirs}
    last = revisions[-1]
    assert "knock" in last["replaced"] and "knock" not in last["text"]
    assert set(last) == {"seq", "type", "utterance", "text", "start_s", "end_s", "replaced"}
    assert stored == [("me", "Hello, who is it?"), ("them", last["text"])]  # what the page shows
