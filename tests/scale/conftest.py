"""A real local Ray for the tests that need one: started once per test session, on 127.0.0.1,
with 2 CPUs (the tests' actors and replicas ask for fractions of them). Those tests are marked
`ray`: `pytest -m "not ray"` leaves them out."""

from __future__ import annotations

import pytest
from server.live import live_app  # noqa: F401  (the plain server, for the same tests on both)


@pytest.fixture(scope="session")
def local_ray():
    ray = pytest.importorskip("ray", reason="Ray is the optional extra openhear[scale]")
    from openhear.scale.cluster import start_ray

    start_ray(num_cpus=2)
    yield ray
    ray.shutdown()


def pytest_collection_modifyitems(items):
    """Every test that needs the local Ray is marked `ray`, so `-m "not ray"` gives a short run."""
    for item in items:
        if "local_ray" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.ray)
