"""`openhear converse`: a scripted run on real speech, their captions shown as sentences across a
pause mid-sentence, the profanity mask, kill -9 loses nothing final, bad input."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from openhear.asr.events import ends_sentence
from openhear.asr.sentences import continues_sentence
from openhear.asr.wer import normalize, wer
from openhear.audio.files import float_to_pcm16, read_audio
from openhear.audio.resample import resample
from openhear.cli import main
from openhear.relay.store import TranscriptStore

OPENHEAR = str(Path(sys.executable).with_name("openhear"))


def _utterance(manifest, uid):
    return next(u for u in manifest if u.id == uid)


def _one_line_error(capsys, argv, match, code=1):
    """Exit `code`, and stderr holds exactly one error line (status lines such as
    'conversation 1 started' aside)."""
    assert main(argv) == code
    lines = capsys.readouterr().err.splitlines()
    errors = [line for line in lines if line.startswith("openhear: error:")]
    assert len(errors) == 1 and match in errors[0], lines
    assert all(line.startswith("openhear: ") for line in lines), lines


def test_scripted_conversation_on_a_real_recording(capsys, tmp_path, manifest):
    speech = _utterance(manifest, "cmu_arctic_aew_a0003")
    replies = tmp_path / "replies.txt"
    replies.write_text("[1.0] Sorry, could you say that again?\n\n[2.5] Thank you.\n")
    assert main(["converse", "--input", str(speech.path), "--replies", str(replies)]) == 0
    out = capsys.readouterr().out
    assert "me: I'm deaf. A computer voice says what I type" in out
    assert "] me: Sorry, could you say that again?" in out
    with TranscriptStore() as store:
        (conversation,) = store.list_conversations()
        entries = store.get(conversation.id).entries
    mine = [(e.start_s, e.text) for e in entries if e.speaker == "me"]
    assert mine[1:] == [(1.0, "Sorry, could you say that again?"), (2.5, "Thank you.")]
    assert wer(speech.text, " ".join(e.text for e in entries if e.speaker == "them")) <= 0.2


def _converse(capsys, tmp_path, recording, *options) -> list[str]:
    """The lines `openhear converse` shows for a recording (no notice, no replies)."""
    replies = tmp_path / "no-replies.txt"
    replies.write_text("")
    argv = ["converse", str(recording), "--no-disclosure", "--replies", str(replies), *options]
    assert main(argv) == 0
    return capsys.readouterr().out.splitlines()


def test_their_sentence_is_shown_whole_across_a_pause_mid_sentence(capsys, tmp_path, manifest):
    """'For the twentieth time that | evening the two men shook hands.' with 0.4 s of silence at
    the bar: the fast pass commits it in pieces at its pauses, each ended by Whisper as if it were
    complete ("for the" | "20th" | "time that evening." | "the two men shook hands."); the console
    shows the sentence, as the exports do (openhear.asr.sentences)."""
    speech = _utterance(manifest, "cmu_arctic_aew_a0003")
    block = read_audio(speech.path)
    audio = resample(block.mono(), block.sample_rate, 16000)
    cut = round(1.72 * 16000)  # between "that" and "evening"
    paused = np.concatenate([audio[:cut], np.zeros(6400, np.float32), audio[cut:]])
    sf.write(tmp_path / "paused.wav", paused, 16000)
    fast: list[str] = []
    before = ""  # the line shown just before, when it was a fast line of theirs
    for line in _converse(capsys, tmp_path, tmp_path / "paused.wav"):
        if "] them: " not in line:
            before = ""  # a correction ends their line: what follows starts a line of its own
            continue
        text = line.split("] them: ", 1)[1]
        if before:  # a new line of theirs right after another: the sentence before had ended
            assert ends_sentence(before) and not continues_sentence(text), (before, text)
        fast.append(before := text)
    assert wer(speech.text, " ".join(fast)) <= 0.2, fast


def test_their_lines_are_sentences_and_a_correction_ends_one(capsys):
    from openhear.commands.converse import Printer
    from openhear.relay.session import RevisedEntry
    from openhear.relay.store import Entry

    printer = Printer()
    lines = ["Ask.", "not what your country.", "Can it?", "And so.", "my fellow"]
    for i, text in enumerate(lines):
        printer.show(Entry(i, "them", float(i), i + 0.5, text))
        if i == 0:
            assert capsys.readouterr().out == "[0:00.0] them: Ask"  # the stop waits
    corrected = Entry(0, "them", 0.0, 4.5, "Ask not what your country. Can it? And so my fellow")
    printer.show(RevisedEntry(corrected, (1, 2, 3, 4), 1, ""))
    printer.show(Entry(5, "them", 5.0, 5.5, "Americans."))
    printer.show(Entry(6, "me", 6.0, 6.5, "Hello."))
    printer.status("saved")
    assert capsys.readouterr().out.splitlines() == [
        " not what your country.",  # goes on with the line read above
        "[0:02.0] them: Can it?",
        "[0:03.0] them: And so my fellow",  # the line a correction ended: its stop untold
        "  (corrected) them: Ask not what your country. Can it? And so my fellow",
        "[0:05.0] them: Americans.",
        "[0:06.0] me: Hello.",
    ]


def test_the_profanity_mask_covers_their_captions_and_the_saved_lines(capsys, tmp_path, voice):
    said = tmp_path / "said.wav"
    blocks = list(voice.synthesize("Oh shit, I missed the bus again."))
    sf.write(said, np.concatenate([b.mono() for b in blocks]), blocks[0].sample_rate)
    assert "shit" in " ".join(_converse(capsys, tmp_path, said))  # final captions: what was said
    shown = " ".join(_converse(capsys, tmp_path, said, "--profanity-mask", "all"))
    assert "s***" in shown and "shit" not in shown, shown
    with TranscriptStore() as store:
        masked = store.get(max(c.id for c in store.list_conversations())).entries
    assert "s***" in " ".join(e.text for e in masked), masked


def test_kill_9_mid_conversation_loses_nothing_shown_as_final(manifest, isolated_data_dir):
    speech = _utterance(manifest, "librispeech_dev-clean_2412-153948-0000")
    block = read_audio(speech.path)
    pcm = float_to_pcm16(resample(block.mono(), block.sample_rate, 16000))
    proc = subprocess.Popen(
        [OPENHEAR, "converse", "-", "--rate", "16000", "--no-disclosure"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )

    def talk():  # the other person speaks at real-time pace, 0.1 s at a time
        try:
            for i in range(0, len(pcm), 3200):
                proc.stdin.write(pcm[i : i + 3200])
                proc.stdin.flush()
                time.sleep(0.1)
            # the end of the audio ends converse, so a failure cannot hang the test
            proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass

    threading.Thread(target=talk, daemon=True).start()
    out = b""
    try:  # their words are shown as they are committed, a line per sentence: read as they come
        while len(shown := _their_words(out.decode(errors="replace"))) < 4:
            chunk = os.read(proc.stdout.fileno(), 4096)
            assert chunk, "converse ended before showing four words of final captions"
            out += chunk
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(isolated_data_dir / "transcripts.sqlite3")
    stored = [
        row[0]
        for row in conn.execute("SELECT text FROM entries WHERE speaker = 'them' ORDER BY id")
    ]
    conn.close()
    # Stored before shown; the revision pass may have rewritten a stored line since (a word or
    # two changed), so the words shown are held, and held as shown but for such a correction.
    stored_words = normalize(" ".join(stored))
    assert len(stored_words) >= len(shown), (stored, shown)
    assert wer(" ".join(stored_words[: len(shown)]), " ".join(shown)) <= 0.25, (stored, shown)
    with TranscriptStore() as store:  # and the store still opens cleanly afterwards
        assert store.list_conversations()[0].entries >= len(stored)


def _their_words(shown: str) -> list[str]:
    """The words of their lines in what converse has shown so far (normalised, as WER counts)."""
    return normalize(
        " ".join(t.split("] them: ", 1)[1] for t in shown.split("\n") if "] them: " in t)
    )


@pytest.mark.parametrize(
    "argv, match, code",
    [
        (["converse"], "say what to caption", 2),
        (["converse", "--live", "x.wav"], "say what to caption", 2),
        (["converse", "-", "--realtime"], "--realtime paces a FILE", 2),
        (["converse", "--input", "/nonexistent.wav"], "no such file", 1),
        (
            ["converse", "--input", "{speech}", "--replies", "/nonexistent.txt"],
            "cannot read replies",
            1,
        ),
        (
            ["converse", "--input", "{speech}", "--play", "--output-device", "9999"],
            "no audio output device",
            1,
        ),
        (
            ["converse", "--input", "{speech}", "--voice", "/nonexistent.onnx", "--play"],
            "voice model not found",
            1,
        ),
        (["converse", "--live", "--input-device", "9999"], "no audio input device", 1),
        (["converse", "--live", "--duration", "nan"], "a positive number of seconds", 2),
        (["converse", "{speech}", "--profanity-mask", "some"], "unknown --profanity-mask", 2),
        (["converse", "{speech}", "--model", "tiny.en", "--language", "de"], "--model base", 2),
    ],
)
def test_bad_arguments_are_one_line_errors(capsys, manifest, argv, match, code):
    speech = str(_utterance(manifest, "cmu_arctic_axb_a0005").path)
    _one_line_error(capsys, [a.replace("{speech}", speech) for a in argv], match, code)


def test_empty_stdin_audio_is_a_one_line_error(capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    _one_line_error(capsys, ["converse", "-"], "no audio on stdin")


def test_invalid_utf8_replies_stop_with_one_line_error_and_keep_the_transcript(
    capsys, tmp_path, manifest
):
    replies = tmp_path / "replies.txt"
    replies.write_bytes(b"[0.2] Hello there.\n[0.5] caf\xe9\n")
    speech = str(_utterance(manifest, "cmu_arctic_axb_a0005").path)
    _one_line_error(
        capsys,
        ["converse", "--input", speech, "--replies", str(replies), "--no-disclosure"],
        "not valid UTF-8",
    )
    with TranscriptStore() as store:
        (c,) = store.list_conversations()
        assert [e.text for e in store.get(c.id).entries if e.speaker == "me"] == ["Hello there."]


def test_corrupt_store_is_refused_before_anything_runs(capsys, isolated_data_dir, manifest):
    isolated_data_dir.mkdir()
    db = isolated_data_dir / "transcripts.sqlite3"
    db.write_bytes(np.arange(4096, dtype=np.uint8).tobytes())
    speech = str(_utterance(manifest, "cmu_arctic_axb_a0005").path)
    _one_line_error(capsys, ["converse", "--input", speech], "left untouched")
    assert db.read_bytes() == np.arange(4096, dtype=np.uint8).tobytes()


def test_read_only_data_directory_is_a_one_line_error(
    capsys, tmp_path, monkeypatch, make_read_only, manifest
):
    monkeypatch.setenv("OPENHEAR_DATA_DIR", str(make_read_only(tmp_path / "locked") / "data"))
    speech = str(_utterance(manifest, "cmu_arctic_axb_a0005").path)
    _one_line_error(capsys, ["converse", "--input", speech], "read-only")
