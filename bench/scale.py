"""Scaling benchmark: the web app on Ray Serve against the plain server, and folders captioned on
Ray Data against `openhear caption` in a loop.

    .venv/bin/python bench/scale.py [--quick] [--sessions 1 2 4] [--files 8] [--skip-live]

Live: for the plain server, then Ray Serve with 1 and with 2 replicas (each reserving half the
machine's cores), N caption streams of real speech at real-time pace (bench/server_load.py's
clients: 48 kHz PCM in 100 ms messages, clients starting --stagger s apart, refusals counted);
reported per level: streams admitted, final-caption latency median and p95, WER, and the most
streams held with p95 <= 3 s. Batch: --files recordings (the dev utterances, copied) captioned by
`openhear caption FILE` run once per file, then by `openhear caption --ray` with 1 and 2 actors:
files per minute. Overhead: Ray's start time, Serve's deploy time, memory (RSS) of each replica
and of Ray's own processes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import server_load  # noqa: E402  (bench/ on the path first)
from server_load import load_utterances  # noqa: E402

_stream = server_load.client


async def _client_or_cut(ws_url: str, audio, delay_s: float) -> dict:
    """server_load's client; a stream the server ends half-way (1013 "too far behind" on a busy
    machine) counts as refused, with the close code."""
    from websockets.exceptions import ConnectionClosed

    try:
        return await _stream(ws_url, audio, delay_s)
    except ConnectionClosed as exc:
        code = exc.rcvd.code if exc.rcvd else None
        return {"refused": {"type": "cut", "code": code}, "finals": [], "latencies": []}


server_load.client = _client_or_cut  # run_level calls it by its module name


async def run_level(url: str, utterances, sessions: int, seconds: float, gap_s, stagger_s):
    """server_load.run_level, with a level where no stream finished reported as such."""
    try:
        return await server_load.run_level(url, utterances, sessions, seconds, gap_s, stagger_s)
    except IndexError:  # no final caption at all: every stream refused or cut
        nan = float("nan")
        return {
            "sessions": sessions,
            "admitted": 0,
            "finals": 0,
            "lat_median_s": nan,
            "lat_p95_s": nan,
            "wer": nan,
        }


HELD_P95_S = 3.0
"""A level is held when its admitted streams' p95 final-caption latency is at most this."""


def rss_mb(match: str) -> list[float]:
    """Resident memory (MB) of each process whose command line contains `match`."""
    import psutil

    out = []
    for p in psutil.process_iter(["cmdline", "memory_info"]):
        try:
            if match in " ".join(p.info["cmdline"] or []):
                out.append(p.info["memory_info"].rss / 1e6)
        except (psutil.Error, TypeError):
            continue
    return out


def live(args, utterances, seconds: float) -> list[tuple[str, list[dict]]]:
    import socket

    from openhear.scale.serve import ScaleOptions, deploy, shutdown
    from openhear.server import ServerOptions, create_app
    from openhear.server.runner import BackgroundServer
    from openhear.server.services import load_services

    def levels(url: str) -> list[dict]:
        return [
            asyncio.run(run_level(url, utterances, n, seconds, args.gap, args.stagger))
            for n in args.sessions
        ]

    options = ServerOptions(max_caption_sessions=max(args.sessions))
    results = []
    services = load_services(Path(tempfile.mkdtemp(prefix="openhear-bench-")))
    server = BackgroundServer(create_app(options, services), options)
    try:
        results.append(("plain server", levels(server.url)))
    finally:
        server.stop()
    del services
    cores = os.cpu_count() or 1
    for replicas in (1, 2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        served = ServerOptions(port=port, max_caption_sessions=max(args.sessions))
        scale = ScaleOptions(replicas=replicas, replica_cpus=cores / 2)
        t = deploy(served, scale, tempfile.mkdtemp(prefix="openhear-bench-"))
        memory = rss_mb("ServeReplica")
        print(
            f"Ray Serve, {replicas} replica(s) of {cores / 2:g} CPUs: deployed in {t:.1f} s; "
            f"replica RSS {', '.join(f'{m:.0f}' for m in memory)} MB"
        )
        try:
            results.append(
                (f"Ray Serve, {replicas} replica(s)", levels(f"http://127.0.0.1:{port}"))
            )
        finally:
            shutdown()
    return results


def batch(files: int, utterances_dir: Path) -> None:
    """Files per minute: `openhear caption FILE` in a loop, `openhear caption --ray` (a fresh
    local Ray each time, as a user runs it), then Ray Data with 1 and 2 actors on a Ray already
    started (actors' start and model loads included)."""
    from openhear.scale.batch import BatchOptions, caption_batch, plan
    from openhear.scale.cluster import start_ray

    work = Path(tempfile.mkdtemp(prefix="openhear-bench-batch-"))
    src = work / "in"
    src.mkdir()
    wavs = sorted(utterances_dir.glob("*.wav"))
    for i in range(files):
        shutil.copy(wavs[i % len(wavs)], src / f"{i:03d}_{wavs[i % len(wavs)].name}")
    audio_min = sum(sf_seconds(f) for f in src.iterdir()) / 60
    print(f"batch: {files} recordings, {audio_min:.1f} min of audio")
    openhear = [sys.executable, "-m", "openhear"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

    def report(how: str, seconds: float) -> None:
        print(f"| {how} | {seconds:.1f} s | {60 * files / seconds:.1f} |", flush=True)

    print("\n| batch | wall time | files/min |\n|---|---:|---:|")
    t = time.perf_counter()
    for f in sorted(src.iterdir()):
        out = str(work / "x.srt")
        subprocess.run([*openhear, "caption", str(f), "-f", "srt", "-o", out], check=True, env=env)
    report("`openhear caption FILE` in a loop", time.perf_counter() - t)
    t = time.perf_counter()
    subprocess.run(
        [*openhear, "caption", "-q", "--ray", str(src), "-o", str(work / "cli"), "-f", "srt"],
        check=True,
        env=env,
    )
    report("`openhear caption --ray` (2 actors, Ray started by it)", time.perf_counter() - t)
    start_ray()
    for actors in (1, 2):
        todo, _ = plan(src, work / f"out{actors}", ("srt",))
        t = time.perf_counter()
        list(caption_batch(todo, work / f"out{actors}", BatchOptions(("srt",), actors=actors)))
        report(f"Ray Data, {actors} actor(s) of 1 CPU, Ray already up", time.perf_counter() - t)
    shutil.rmtree(work, ignore_errors=True)


def sf_seconds(path: Path) -> float:
    import soundfile as sf

    return float(sf.info(str(path)).duration)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="15 s of speech per client, not 40")
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--files", type=int, default=8, help="recordings in the batch")
    parser.add_argument("--gap", type=float, default=1.0)
    parser.add_argument("--stagger", type=float, default=5.0)
    parser.add_argument("--skip-live", action="store_true")
    parser.add_argument("--skip-batch", action="store_true")
    args = parser.parse_args()

    from openhear.scale.cluster import start_ray

    print(
        f"machine: {os.cpu_count()}-core {platform.machine()}, Python {platform.python_version()}"
    )
    if not args.skip_batch:
        batch(args.files, ROOT / "tests" / "data" / "speech")
    if args.skip_live:
        return 0
    t = time.perf_counter()
    start_ray()
    print(
        f"Ray up in {time.perf_counter() - t:.1f} s (0 if the batch started it); Ray's own "
        f"processes: {sum(rss_mb('raylet')) + sum(rss_mb('gcs_server')):.0f} MB RSS (raylet + GCS)"
    )
    seconds = 15.0 if args.quick else 40.0
    utterances = load_utterances()
    print(
        f"\n~{seconds:.0f} s of speech per client at real-time pace; held: p95 <= {HELD_P95_S} s\n"
    )
    print("| server | streams asked | admitted | latency median | p95 | WER |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, rows in live(args, utterances, seconds):
        held = max((r["admitted"] for r in rows if r["lat_p95_s"] <= HELD_P95_S), default=0)
        for r in rows:
            print(
                f"| {name} | {r['sessions']} | {r['admitted']} | {r['lat_median_s']:.2f} s | "
                f"{r['lat_p95_s']:.2f} s | {100 * r['wer']:.1f} % |"
            )
        print(f"| {name}: most streams held | {held} | | | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
