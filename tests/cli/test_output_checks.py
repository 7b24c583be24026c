"""Every command that writes OUT checks it before any work: a bad OUT is a one-line error (exit 1)
that names the problem, and it comes first, before the input, the model or the store is touched
(each case below also has a bad input, voice, model or id, which must not be what is reported)."""

from __future__ import annotations

import pytest

from openhear.cli import main

COMMANDS = {
    "amplify": ["amplify", "{tmp}/no-such-input.wav", "-o", "{out}", "--audiogram", "N3"],
    "simulate": ["simulate", "{tmp}/no-such-input.wav", "-o", "{out}", "--audiogram", "Q1"],
    "caption": ["caption", "{tmp}/no-such-input.wav", "-o", "{out}", "--model", "{tmp}/none"],
    "speak": ["speak", "Hello.", "-o", "{out}", "--voice", "{tmp}/no-voice.onnx"],
    "phrases speak": ["phrases", "speak", "hi", "-o", "{out}", "--voice", "{tmp}/no-voice.onnx"],
    "transcripts export": ["transcripts", "export", "999", "-o", "{out}"],
}
AUDIO_COMMANDS = ("amplify", "simulate", "speak", "phrases speak")


def _bad_outputs(tmp_path, make_read_only):
    (tmp_path / "a-file").write_text("x")
    yield str(tmp_path), "is a directory"
    yield str(tmp_path / "missing" / "out.wav"), "no such directory"
    yield str(tmp_path / "a-file" / "out.wav"), "is not a directory"
    yield str(make_read_only(tmp_path / "locked") / "out.wav"), "permission denied"


@pytest.mark.parametrize("command", COMMANDS)
def test_a_bad_output_fails_at_once_in_one_line(capsys, tmp_path, make_read_only, command):
    main(["phrases", "add", "hi", "Hello there."])
    capsys.readouterr()
    work = tmp_path / "work"
    work.mkdir()
    for out, problem in _bad_outputs(work, make_read_only):
        argv = [a.format(tmp=work, out=out) for a in COMMANDS[command]]
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert err.startswith("openhear: error: ") and err.count("\n") == 1, err
        assert problem in err and out in err, err
    assert sorted(p.name for p in work.iterdir()) == ["a-file", "locked"]


@pytest.mark.parametrize("command", AUDIO_COMMANDS)
@pytest.mark.parametrize("name, shown", [("out.xyz", "'.xyz'"), ("out", "no audio format")])
def test_an_audio_output_needs_a_suffix_we_can_write(capsys, tmp_path, command, name, shown):
    main(["phrases", "add", "hi", "Hello there."])
    capsys.readouterr()
    work = tmp_path / "work"
    work.mkdir()
    argv = [a.format(tmp=work, out=work / name) for a in COMMANDS[command]]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and shown in err and "(use .wav, .flac, .ogg" in err, err
    assert list(work.iterdir()) == []
