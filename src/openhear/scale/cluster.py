"""Joining or starting the Ray cluster that `--ray` commands run on."""

from __future__ import annotations

import logging
import os
from typing import Any

from openhear.errors import OpenhearError

INSTALL_HINT = "pip install 'openhear[scale]'"
"""How to get Ray, named in the error when it is missing."""
RAY_VERSION = "2.60.0"
"""The Ray release openhear[scale] pins and is tested with."""
START_ATTEMPTS = 2
"""Tries at starting a local Ray: on a loaded machine its raylet can give up waiting for its own
agent (a fixed 15 s: ray-project/ray#65983) and the node fails to start; a second try usually
succeeds."""
ADDRESS_HELP = "with --ray: the cluster to join (auto, or ray://host:10001); default: a local Ray"
"""The `--address` option's help, the same for every command."""


def require_ray() -> Any:
    """The `ray` module, or a one-line OpenhearError naming the extra that installs it."""
    try:
        import ray
    except ImportError:
        raise OpenhearError(f"--ray needs Ray, which is not installed: {INSTALL_HINT}") from None
    return ray


def start_ray(address: str | None = None, num_cpus: float | None = None, quiet: bool = True) -> Any:
    """Connects this process to Ray: the cluster at `address` ("auto": the one `ray start` runs on
    this machine; "ray://host:10001": a remote one through Ray Client), or, with None, a private
    local Ray of `num_cpus` CPUs (default: this machine's), started here and ended with the
    process. Returns the `ray` module; a cluster that cannot be reached is a one-line error."""
    ray = require_ray()
    if ray.is_initialized():
        return ray
    # Ray reports its usage statistics unless told not to; openhear sends nothing anywhere.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    kwargs: dict[str, Any] = {
        "include_dashboard": False,
        "logging_level": logging.ERROR if quiet else logging.INFO,
        "log_to_driver": not quiet,
        "configure_logging": True,
    }
    if address is None:
        kwargs["num_cpus"] = num_cpus or os.cpu_count() or 1
        kwargs["address"] = "local"
        kwargs["_node_ip_address"] = "127.0.0.1"  # a private Ray listens on loopback only
    else:
        kwargs["address"] = address
    for attempt in range(START_ATTEMPTS if address is None else 1):
        try:
            ray.init(**kwargs)
            return ray
        except Exception as exc:  # Ray raises plain Exception for a node that did not start
            ray.shutdown()
            if attempt + 1 < START_ATTEMPTS and address is None:
                continue
            where = address or "a local Ray"
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise OpenhearError(f"cannot start or join Ray at {where}: {detail}") from None
    return ray
