"""Ray is optional: nothing outside openhear.scale imports it, and without it `--ray` answers with
one line that names the extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap

IMPORT_EVERYTHING_BUT_SCALE = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    import openhear
    from openhear.cli import build_parser
    skipped = []
    for m in pkgutil.walk_packages(openhear.__path__, "openhear."):
        if m.name.startswith("openhear.scale") or m.name == "openhear.__main__":
            continue
        try:
            importlib.import_module(m.name)
        except ImportError as exc:  # an optional package of another extra (calls) not installed
            skipped.append(m.name)
    build_parser()
    print(sorted(n for n in sys.modules if n == "ray" or n.startswith("ray.")))
    """
)


def test_importing_every_default_module_does_not_import_ray():
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING_BUT_SCALE],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_without_ray_the_batch_command_names_the_extra(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.wav").write_bytes(b"RIFF")
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules["ray"] = None  # as if openhear[scale] were not installed
        from openhear.cli import main
        sys.exit(main(["caption", "--ray", {str(tmp_path / "in")!r}, "-o",
                       {str(tmp_path / "out")!r}]))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "openhear: error: --ray needs Ray, which is not installed: pip install 'openhear[scale]'"
    )
    assert not (tmp_path / "out").exists()  # nothing written before the check
