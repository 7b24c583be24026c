"""The layers of the library point one way: every import in src/openhear goes to its own package or
to a lower layer (docs/ARCHITECTURE.md explains each layer). The imports are read from the source
with `ast`, so nothing is imported and no module's import side effects run; imports inside
functions and under `TYPE_CHECKING` count like any other.

A new package must be given a layer here before this test passes: that is the point at which to
decide what it may use.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "openhear"
SRC = Path(__file__).resolve().parents[1] / "src" / PACKAGE

LAYERS: tuple[frozenset[str], ...] = (
    # The base: the package itself, errors, the data directory and private files, the privacy
    # guard, SQLite storage, units (dB and gain), bundled data. These may import one another.
    frozenset({PACKAGE, "errors", "paths", "privacy", "storage", "units", "data"}),
    frozenset({"audio"}),  # moving samples: blocks, files, devices, resampling, guards, meters
    frozenset({"fitting"}),  # audiograms, prescriptions, sliders, profiles: plain parameters
    frozenset({"dsp"}),  # processors and chains that consume those parameters; levels
    frozenset({"asr", "tts", "live"}),  # recognition; synthesis; the sound card's live sessions
    frozenset({"captions"}),  # caption cues and writers over recognition events
    frozenset({"relay", "alerts"}),  # conversations (captions + speech); sound alerts
    frozenset({"calls"}),  # SIP calls around a relay session
    frozenset({"server", "testing"}),  # the HTTP/WebSocket/Wyoming adapters; the test harness
    frozenset({"scale"}),  # the same services past one machine, on Ray (optional extra)
    frozenset({"commands"}),  # the thin CLI commands
    frozenset({"cli"}),  # the entry point (`openhear`)
    frozenset({"__main__"}),  # `python -m openhear`
)
"""Lowest first. A component may import itself and anything in a lower layer, never a component
of its own layer (base modules excepted) or of a higher one."""


def _layer_of(component: str) -> int:
    for number, layer in enumerate(LAYERS):
        if component in layer:
            return number
    raise AssertionError(
        f"{PACKAGE}.{component} has no layer: add it to LAYERS in tests/test_layers.py "
        "and to docs/ARCHITECTURE.md"
    )


@dataclass(frozen=True)
class Import:
    source: str
    """The importing module's dotted name."""
    target: str
    """The imported module's (or package's) dotted name."""
    line: int
    """Where, in the importing file."""


def _module_name(path: Path, src: Path = SRC) -> tuple[str, bool]:
    """The dotted name of a source file under the package folder `src`, and whether it is a
    package's __init__."""
    parts = list(path.relative_to(src.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _imports(path: Path, src: Path = SRC) -> Iterator[Import]:
    name, is_package = _module_name(path, src)
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield Import(name, target, node.lineno)


def _component(module: str) -> str | None:
    """`audio` for openhear.audio.files, `openhear` for the package itself, None outside it."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    return parts[1] if len(parts) > 1 else PACKAGE


def _library_imports() -> list[Import]:
    found = [i for path in sorted(SRC.rglob("*.py")) for i in _imports(path)]
    assert len(found) > 500, "the walk found too few imports: is SRC right?"
    return [i for i in found if _component(i.target) is not None]


def _allowed(source: str, target: str) -> bool:
    here, there = _component(source), _component(target)
    assert here is not None and there is not None
    if here == there:
        return True
    mine, theirs = _layer_of(here), _layer_of(there)
    return theirs < mine or (mine == theirs == 0)


def test_every_package_has_a_layer():
    for path in SRC.iterdir():
        if path.name.startswith((".", "_")) and path.name != "__main__.py":
            continue
        if path.suffix == ".py" or (path / "__init__.py").exists():
            _layer_of(path.stem if path.suffix == ".py" else path.name)


def test_imports_point_down_the_layers():
    leaks = [
        f"{i.source} (line {i.line}) imports {i.target}"
        for i in _library_imports()
        if not _allowed(i.source, i.target)
    ]
    assert not leaks, "imports against the layers:\n" + "\n".join(leaks)


def _routers() -> set[str]:
    """Server modules that declare routes (`router = APIRouter(...)` at module level)."""
    names = set()
    for path in sorted((SRC / "server").glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "router" for t in node.targets)
                and isinstance(node.value, ast.Call)
                and getattr(node.value.func, "id", "") == "APIRouter"
            ):
                names.add(_module_name(path)[0])
    return names


def test_routers_share_code_through_library_modules_not_through_each_other():
    routers = _routers()
    assert len(routers) >= 5, routers
    leaks = [
        f"{i.source} (line {i.line}) imports the router {i.target}"
        for i in _library_imports()
        if i.source in routers and i.target in routers and i.target != i.source
    ]
    assert not leaks, "\n".join(leaks)


def test_the_walk_sees_a_leak(tmp_path):
    """The checks above can fail: imports up or across the layers are refused, and a made-up dsp
    module's relative import that climbs out of its package is resolved and caught."""
    assert not _allowed("openhear.dsp.chain", "openhear.server.app")
    assert not _allowed("openhear.audio.files", "openhear.dsp.chain")
    assert not _allowed("openhear.relay.store", "openhear.alerts.events")  # same layer
    assert _allowed("openhear.dsp.chain", "openhear.fitting.profile")
    assert _allowed("openhear.storage", "openhear.paths")
    tree = tmp_path / PACKAGE / "dsp"
    tree.mkdir(parents=True)
    probe = tree / "probe.py"
    probe.write_text("from ..server import app\nimport openhear.live.shell\n")
    found = list(_imports(probe, tmp_path / PACKAGE))
    assert [i.target for i in found] == ["openhear.server", "openhear.live.shell"]
    assert [i.source for i in found] == ["openhear.dsp.probe"] * 2
    assert not any(_allowed(i.source, i.target) for i in found)
