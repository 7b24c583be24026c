"""`--address`: a cluster address where no Ray answers is a one-line error at once (Ray alone
retries for half a minute to minutes), for `serve --ray` and `caption --ray` alike; a running Ray
passes the same check."""

from __future__ import annotations

import socket
import threading

import pytest

from openhear.cli import main

pytest.importorskip("ray", reason="Ray is the optional extra openhear[scale]")


def closed_port() -> int:
    """A local port where nothing listens (bound, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def not_ray():
    """A local port that accepts connections and closes them unanswered: something, not Ray."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed: the test is over
                return
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    server.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close() alone does not)
    server.close()
    thread.join()


def test_a_bad_cluster_address_is_one_line_for_serve_and_caption(capsys, tmp_path, not_ray):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.wav").write_bytes(b"RIFF")  # never read: the address is checked first
    commands = {
        "serve": ["serve", "--ray", "--address"],
        "caption": ["caption", "--ray", str(folder), "-o", str(tmp_path / "out"), "--address"],
    }
    nothing = closed_port()
    for name, command in commands.items():
        for address, message in [
            (f"127.0.0.1:{nothing}", "Connection refused"),  # a GCS address, nothing there
            (f"ray://127.0.0.1:{nothing}", "Connection refused"),  # Ray Client, nothing there
            (f"ray://127.0.0.1:{not_ray}", "something else answers there"),
            ("ray://", "not a Ray address"),
            ("nowhere", "not a Ray address"),
        ]:
            assert main([*command, address]) == 1, (name, address)
            err = capsys.readouterr().err
            assert err.count("\n") == 1, (name, err)
            assert err.startswith("openhear: error: ") and message in err, (name, err)
    assert not (tmp_path / "out").exists()


def test_a_running_ray_passes_the_address_check(local_ray):
    from openhear.scale.cluster import check_address

    check_address(local_ray.get_runtime_context().gcs_address)  # raises if Ray did not answer
