"""`openhear caption --ray`: a folder captioned on Ray Data gives the same documents as
`openhear caption FILE`, a bad recording is reported and skipped, and finished ones are not done
again."""

from __future__ import annotations

import json
import shutil
from pathlib import PurePosixPath

import pytest

from openhear.cli import main
from openhear.errors import UsageError
from openhear.scale.batch import BatchOptions, plan, write_outputs

SHORT_ID = "cmu_arctic_aew_a0003"
OTHER_ID = "cmu_arctic_axb_a0004"  # "Lord, but I'm glad to see you again, Phil."


def utterance(manifest, uid):
    return next(u for u in manifest if u.id == uid)


def test_a_folder_is_planned_by_relative_names_and_finished_ones_are_done(tmp_path):
    src, out = tmp_path / "talks", tmp_path / "out"
    for name in ("monday.wav", "week2/tuesday.flac", "both.wav", "both.mp3", "notes.txt"):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(b"x")
    (src / ".hidden.wav").write_bytes(b"x")
    todo, done = plan(src, out, ("srt", "json"))
    assert [str(j.name) for j in todo] == ["both.mp3", "both.wav", "monday", "week2/tuesday"]
    assert done == []
    monday = next(j for j in todo if j.name == PurePosixPath("monday"))
    write_outputs(monday, out, {"srt": "1\n", "json": "{}\n"})
    assert sorted(p.name for p in out.iterdir()) == ["monday.json", "monday.srt"]  # no .part left
    todo, done = plan(src, out, ("srt", "json"))
    assert done == [monday] and monday not in todo
    assert plan(src, out, ("srt", "vtt"))[1] == []  # a format still missing: not done


def test_a_list_of_paths_and_bad_inputs(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"x")
    (tmp_path / "list.txt").write_text("a.wav\n\n")
    todo, _ = plan(tmp_path / "list.txt", tmp_path / "out", ("txt",))
    assert [(j.source, str(j.name)) for j in todo] == [(tmp_path / "a.wav", "a")]
    with pytest.raises(UsageError, match="no such folder"):
        plan(tmp_path / "missing", tmp_path / "out", ("txt",))
    with pytest.raises(UsageError, match="neither a folder nor a list"):
        plan(tmp_path / "a.wav", tmp_path / "out", ("txt",))
    with pytest.raises(UsageError, match="--actors"):
        BatchOptions(actors=0)


def test_bad_batch_command_lines_answer_one_line(capsys, tmp_path):
    for args, message in [
        (["--ray", str(tmp_path)], "give -o OUTDIR"),
        (["--ray", "--live", "-o", str(tmp_path)], "give DIR and -o OUTDIR"),
        (["--ray", str(tmp_path), "-o", str(tmp_path / "o"), "-f", "srt,doc"], "'doc'"),
        (["--ray", str(tmp_path), "-o", str(tmp_path / "o"), "--actors", "x"], "whole number"),
        ([str(tmp_path), "--address", "auto"], "goes with --ray"),
    ]:
        assert main(["caption", *args]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err


@pytest.mark.slow
def test_a_folder_on_ray_equals_openhear_caption_file_by_file(
    local_ray, manifest, tmp_path, capsys
):
    src, out, local = tmp_path / "in", tmp_path / "out", tmp_path / "local"
    (src / "sub").mkdir(parents=True)
    local.mkdir()
    shutil.copy(utterance(manifest, SHORT_ID).path, src / "short.wav")
    shutil.copy(utterance(manifest, OTHER_ID).path, src / "sub" / "other.wav")
    (src / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 8)
    (src / "notes.txt").write_text("not audio")

    args = ["caption", "--ray", str(src), "-o", str(out), "-f", "srt,json", "--actor-cpus", "0.5"]
    assert main(args) == 1  # one recording could not be captioned
    err = capsys.readouterr().err
    assert f"openhear: skipped {src / 'broken.wav'}: " in err
    assert "captioned 2 of 3" in err and "1 skipped" in err
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    assert written == ["short.json", "short.srt", "sub", "sub/other.json", "sub/other.srt"]

    for name, path in [("short", src / "short.wav"), ("sub/other", src / "sub" / "other.wav")]:
        assert main(["caption", str(path), "-f", "json", "-o", str(local / "x.json")]) == 0
        assert json.loads((out / f"{name}.json").read_text()) == json.loads(
            (local / "x.json").read_text()
        )
    assert main(["caption", str(src / "short.wav"), "-f", "srt", "-o", str(local / "x.srt")]) == 0
    assert (out / "short.srt").read_text() == (local / "x.srt").read_text()
    assert "the two men shook hands" in (out / "short.srt").read_text()
    capsys.readouterr()

    # resumed: what is finished is not done again (no Ray needed when nothing is left)
    (src / "broken.wav").unlink()
    other_json = out / "sub" / "other.json"
    before = other_json.stat().st_mtime_ns
    assert main(args) == 0
    assert "2 recordings, 2 already captioned" in capsys.readouterr().err
    assert other_json.stat().st_mtime_ns == before
