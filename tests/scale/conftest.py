"""A real local Ray for the tests that need one: started once per test session, on 127.0.0.1,
with 2 CPUs (the tests' actors and replicas ask for fractions of them)."""

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
