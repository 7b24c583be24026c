"""Joining or starting the Ray cluster that `--ray` commands run on."""

from __future__ import annotations

import logging
import os
import socket
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
CONNECT_TIMEOUT_S = 5.0
"""How long a cluster address gets to answer, first its TCP port, then a call to Ray on it, before
joining it is given up. Left to itself, Ray waits 30 s (Ray Client) to minutes (a GCS address)
on an address where no Ray answers."""
CLIENT_PORT = 10001
"""Ray Client's port, when a ray:// address names none."""


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
    if address is not None:
        check_address(address)  # at once, rather than after Ray's own minutes of retries
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
            raise OpenhearError(f"cannot start or join Ray at {where}: {first_line(exc)}") from None
    return ray


def check_address(address: str) -> None:
    """A one-line OpenhearError, within about 2 x CONNECT_TIMEOUT_S, unless Ray answers at the
    cluster address `address` (a malformed address, an unknown host, a port where nothing listens
    or that does not answer, a server there that is not Ray). "auto" is checked at the address
    Ray recorded for it; with none recorded, Ray itself says so at once."""
    target = address.removeprefix("ray://")
    if target == address:  # a GCS address: "auto", "local" or host:port
        from ray._private.services import canonicalize_bootstrap_address

        try:
            target = canonicalize_bootstrap_address(address)
        except ValueError:  # not host:port
            raise OpenhearError(not_an_address(address)) from None
        except ConnectionError as exc:  # "auto" with no cluster on this machine
            raise OpenhearError(f"cannot join Ray at {address}: {first_line(exc)}") from None
        if target is None:
            return  # "local": a new Ray, started by ray.init
    host, port = split_host_port(address, target)
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            pass
    except TimeoutError:
        raise OpenhearError(
            f"cannot join Ray at {address}: no answer from {host}:{port} within "
            f"{CONNECT_TIMEOUT_S:.0f} s"
        ) from None
    except OSError as exc:  # refused, unreachable network, unknown host
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise OpenhearError(f"cannot join Ray at {address}: {host}:{port}: {reason}") from None
    refusal = ray_refusal(host, port, client=address.startswith("ray://"))
    if refusal is not None:
        raise OpenhearError(f"cannot join Ray at {address}: no Ray at {host}:{port} ({refusal})")


def ray_refusal(host: str, port: int, client: bool) -> str | None:
    """None if Ray answers a cheap call at host:port within CONNECT_TIMEOUT_S (Ray Client's ping
    with `client`, else the GCS's cluster id), else why not. A TCP connection alone proves
    little: a proxy or a firewall may accept connections to any address."""
    import grpc  # a dependency of Ray
    from ray.core.generated import (
        gcs_service_pb2,
        gcs_service_pb2_grpc,
        ray_client_pb2,
        ray_client_pb2_grpc,
    )

    channel = grpc.insecure_channel(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    try:
        if client:
            ping = ray_client_pb2.ClusterInfoRequest(type=ray_client_pb2.ClusterInfoType.PING)
            ray_client_pb2_grpc.RayletDriverStub(channel).ClusterInfo(
                ping, timeout=CONNECT_TIMEOUT_S
            )
        else:
            gcs_service_pb2_grpc.NodeInfoGcsServiceStub(channel).GetClusterId(
                gcs_service_pb2.GetClusterIdRequest(), timeout=CONNECT_TIMEOUT_S
            )
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
            return None  # a Ray GCS wanting the cluster id or token that ray.init will send
        if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
            return f"no answer within {CONNECT_TIMEOUT_S:.0f} s"
        return f"something else answers there: {exc.code().name.lower()}"
    finally:
        channel.close()
    return None


def split_host_port(address: str, target: str) -> tuple[str, int]:
    """The host and port of `target` ("host:port", "[v6]:port", or for Ray Client "host"), or a
    one-line OpenhearError naming `address`."""
    host, sep, port = target.rpartition(":")
    if not sep or "]" in port:  # no port: Ray Client's own
        host, port = target, str(CLIENT_PORT)
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise OpenhearError(not_an_address(address))
    return host, int(port)


def not_an_address(address: str) -> str:
    return f"not a Ray address: {address!r} (give auto, host:port or ray://host:10001)"


def first_line(exc: BaseException) -> str:
    """An exception's message, its first line only (Ray's can run to pages), or its type."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
