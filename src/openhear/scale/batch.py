"""Folders of recordings captioned on Ray Data: one Whisper per actor, outputs named after the
inputs, finished files skipped on the next run.

Each recording is captioned exactly as `openhear caption FILE` captions it (the whole-file
captioner of openhear.asr.offline, the same cues and writers), on an actor pool of `actors`
workers that each load the model once. The documents come back to this process, which writes
them under OUTDIR as they arrive, each to a temporary file renamed into place: a crash or Ctrl-C
loses no finished output and leaves no half-written one, and the next run skips every recording
whose outputs all exist. A recording that cannot be read or captioned is reported and skipped; the
rest go on.

On a cluster, the recordings must be readable by every node at the same path (a shared or network
file system); OUTDIR is written by this process only.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from openhear.asr.screening import ProfanityMask
from openhear.errors import OpenhearError, UsageError

AUDIO_SUFFIXES = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".mp4", ".aac", ".webm", ".aiff"}
)
"""Files in a folder that are taken as recordings (what openhear.audio.files reads); others are
left alone."""
LIST_SUFFIXES = frozenset({".txt", ".lst"})
"""An input with one of these suffixes is a list of recordings, one path a line."""


@dataclass(frozen=True)
class BatchOptions:
    """How a batch is captioned."""

    formats: tuple[str, ...] = ("txt",)
    """Documents written per recording (txt, srt, vtt, json), one file each."""
    actors: int = 2
    """Captioning actors, each with its own Whisper model."""
    actor_cpus: float = 1.0
    """CPUs Ray reserves for each actor (a fraction lets several share a core)."""
    model: str | None = None
    """A CTranslate2 Whisper model directory (None: the bundled tiny.en)."""
    vocabulary: tuple[str, ...] = field(default_factory=tuple)
    """Words or names to recognise more readily."""
    language: str | None = None
    """What the model hears: a language tag or "auto" (None: the model's default)."""
    profanity_mask: ProfanityMask = "provisional"
    """Where profanity is masked, as `openhear caption FILE` does (openhear.asr.screening)."""

    def __post_init__(self) -> None:
        if self.actors < 1:
            raise UsageError(f"--actors must be at least 1, got {self.actors}")
        if not 0 < self.actor_cpus <= 64:
            raise UsageError(f"--actor-cpus must be above 0 and at most 64, got {self.actor_cpus}")
        if not self.formats:
            raise UsageError("give at least one output format")


@dataclass(frozen=True)
class Job:
    """One recording and the name its documents get under OUTDIR (without the format suffix)."""

    source: Path
    name: PurePosixPath

    def outputs(self, outdir: Path, formats: Sequence[str]) -> list[Path]:
        """The files this recording's documents are written to."""
        return [outdir / f"{self.name}.{fmt}" for fmt in formats]


@dataclass(frozen=True)
class Outcome:
    """What became of one recording."""

    job: Job
    error: str | None
    """Why it was skipped (None: its documents were written)."""
    audio_s: float
    """Length of the recording, seconds (0 when it could not be read)."""
    seconds: float
    """Time its actor spent on it."""


def recordings(source: Path) -> list[tuple[Path, PurePosixPath]]:
    """The recordings in a folder (searched recursively, hidden entries left out) with their paths
    relative to it, or those a list file names (one path a line, relative to the list's folder),
    with their file names."""
    if source.is_dir():
        found = []
        for root, dirs, files in os.walk(source):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for f in sorted(files):
                if not f.startswith(".") and Path(f).suffix.lower() in AUDIO_SUFFIXES:
                    path = Path(root) / f
                    found.append((path, PurePosixPath(path.relative_to(source).as_posix())))
        return found
    if source.suffix.lower() in LIST_SUFFIXES and source.is_file():
        try:
            lines = source.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise OpenhearError(f"cannot read the list {source} ({exc})") from None
        paths = [source.parent / line.strip() for line in lines if line.strip()]
        return [(p, PurePosixPath(p.name)) for p in paths]
    if not source.exists():
        raise UsageError(f"no such folder or list: {source}")
    raise UsageError(
        f"{source} is neither a folder nor a list of recordings "
        f"({', '.join(sorted(LIST_SUFFIXES))}, one path a line)"
    )


def plan(source: Path, outdir: Path, formats: Sequence[str]) -> tuple[list[Job], list[Job]]:
    """The recordings under `source` as jobs: (to do, already done). Each is named after its
    input without the audio suffix (`talks/monday.wav` -> `talks/monday.srt`); where two inputs
    would share a name they keep their suffix (`monday.wav.srt`, `monday.mp3.srt`). A recording
    is done when all its outputs exist."""
    found = recordings(source)
    stems: dict[PurePosixPath, int] = {}
    for _, rel in found:
        stems[rel.with_suffix("")] = stems.get(rel.with_suffix(""), 0) + 1
    jobs: list[Job] = []
    taken: dict[PurePosixPath, Path] = {}
    for path, rel in found:
        name = rel.with_suffix("") if stems[rel.with_suffix("")] == 1 else rel
        if name in taken:
            raise UsageError(f"{taken[name]} and {path} would both be written as {outdir / name}.*")
        taken[name] = path
        jobs.append(Job(path, name))
    done = [j for j in jobs if all(p.is_file() for p in j.outputs(outdir, formats))]
    return [j for j in jobs if j not in done], done


def check_outdir(outdir: Path) -> Path:
    """OUTDIR, created if missing; one line if it cannot be written."""
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OpenhearError(f"cannot create {outdir} ({exc.strerror or exc})") from None
    if not outdir.is_dir() or not os.access(outdir, os.W_OK | os.X_OK):
        raise OpenhearError(f"cannot write into {outdir}")
    return outdir


def write_outputs(job: Job, outdir: Path, documents: dict[str, str]) -> None:
    """A recording's documents under OUTDIR, each written to a temporary file in place and then
    renamed over its name, so that a file that exists is a whole one."""
    for fmt, text in documents.items():
        target = outdir / f"{job.name}.{fmt}"
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            part.write_text(text, encoding="utf-8")
            os.replace(part, target)
        except OSError as exc:
            part.unlink(missing_ok=True)
            raise OpenhearError(f"cannot write {target} ({exc.strerror or exc})") from None


class CaptionWorker:
    """A Ray Data actor: loads Whisper once, then captions one recording per row as
    `openhear caption FILE` does, returning its documents (JSON) or the reason it failed.
    `worker_class` makes the subclass that carries a batch's options."""

    batch = BatchOptions()
    """The batch's options (set on the subclass, so the actor takes no constructor arguments:
    Ray keeps those in its object store and warns about restarting actors that have them)."""

    def __init__(self) -> None:
        from openhear.asr.offline import FileCaptionOptions
        from openhear.asr.whisper import load_transcriber

        logging.getLogger("faster_whisper").setLevel(logging.WARNING)
        self.transcriber = load_transcriber(self.batch.model, language=self.batch.language)
        self.options = FileCaptionOptions(
            vocabulary=self.batch.vocabulary, profanity_mask=self.batch.profanity_mask
        )
        self.formats = self.batch.formats

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        from openhear.asr.events import FinalCaption
        from openhear.asr.offline import caption_file
        from openhear.audio.files import audio_info
        from openhear.captions.cues import cues_from_finals
        from openhear.captions.writers import render

        started = time.perf_counter()
        documents, error, audio_s = "", "", 0.0
        try:
            audio_s = audio_info(row["source"])[2]
            events = caption_file(row["source"], self.transcriber, self.options)
            cues = cues_from_finals(e for e in events if isinstance(e, FinalCaption))
            documents = json.dumps({fmt: render(cues, fmt) for fmt in self.formats})
        except OpenhearError as exc:  # unreadable audio: its own one-line reason
            error = str(exc)
        except Exception as exc:  # anything else a file can provoke: reported, the batch goes on
            error = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
        return {
            "source": row["source"],
            "documents": documents,
            "error": error,
            "audio_s": audio_s,
            "seconds": time.perf_counter() - started,
        }


def caption_batch(jobs: Sequence[Job], outdir: Path, options: BatchOptions) -> Iterator[Outcome]:
    """Captions the jobs on the Ray this process is connected to (openhear.scale.cluster), writing
    each recording's documents as soon as it is done; yields the outcomes in the order they
    finish."""
    import ray.data

    if not logging.getLogger("openhear").isEnabledFor(logging.INFO):
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # its notes on each run, unless -v
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the command shows its own, in files
    context.print_on_execution_start = False
    by_source = {str(j.source): j for j in jobs}
    if not jobs:
        return
    dataset = ray.data.from_items(
        [{"source": s} for s in by_source], override_num_blocks=len(by_source)
    ).map(
        type("CaptionWorker", (CaptionWorker,), {"batch": options}),
        compute=ray.data.ActorPoolStrategy(size=min(options.actors, len(jobs))),
        num_cpus=options.actor_cpus,
    )
    for row in dataset.iter_rows():
        job = by_source[row["source"]]
        error = row["error"] or None
        if error is None:
            write_outputs(job, outdir, json.loads(row["documents"]))
        yield Outcome(job, error, float(row["audio_s"]), float(row["seconds"]))
