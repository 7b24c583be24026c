"""Web app load benchmark: N simultaneous caption WebSocket sessions fed real speech at real time.

    .venv/bin/python bench/server_load.py [--quick] [--sessions 1 2 4]

Starts the real app (real Whisper models, the default session limit and backlog rule) on a free
loopback port. Clients start `--stagger` s apart, as people arrive, so the server can refuse one it
cannot serve in time ("busy"); refused clients are counted, not retried. Each client is a browser
stand-in: it resamples its own playlist of transcribed dev utterances
(../shared/data/speech-dev next to the repo, else tests/data/speech) to 48 kHz, sends 16-bit PCM
in 100 ms messages at real-time pace with `--gap` s of silence between utterances, then stops.
Latency of a final caption = when it arrived minus when the audio at its end time was sent.
Meanwhile a poller times GET /api/health every 200 ms. After the runs, one client more than the
limit asks for a session while the limit is held, and the answer and its time are reported.
WER is pooled over every client's finals after Whisper's English normaliser.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

CLIENT_RATE = 48000
CHUNK_S = 0.1


def load_utterances() -> list[tuple[str, np.ndarray]]:
    """(reference text, 48 kHz float32 audio) of every transcribed utterance of the dev set."""
    import soundfile as sf
    import soxr

    for base in (
        ROOT.parent / "shared" / "data" / "speech-dev",
        ROOT / "tests" / "data" / "speech",
    ):
        if (base / "manifest.jsonl").exists():
            break
    rows = [
        json.loads(line)
        for line in (base / "manifest.jsonl").read_text().splitlines()
        if line.strip()
    ]
    out = []
    for row in rows:
        if not row.get("text"):
            continue
        audio, rate = sf.read(base / row["audio"], dtype="float32", always_2d=True)
        out.append(
            (row["text"], soxr.resample(audio.mean(axis=1), rate, CLIENT_RATE).astype(np.float32))
        )
    print(
        f"speech: {len(out)} transcribed utterances from "
        f"{base.relative_to(ROOT.parent) if base.is_relative_to(ROOT.parent) else base}"
    )
    return out


def playlist(utterances, client: int, seconds: float, gap_s: float) -> tuple[np.ndarray, list[str]]:
    """Utterances for one client (each client starts at a different one) joined with silence."""
    parts, texts, total, i = [], [], 0.0, client * 3
    silence = np.zeros(int(gap_s * CLIENT_RATE), np.float32)
    while total < seconds:
        text, audio = utterances[i % len(utterances)]
        parts += [audio, silence]
        texts.append(text)
        total += (audio.size + silence.size) / CLIENT_RATE
        i += 1
    return np.concatenate(parts), texts


async def client(ws_url: str, audio: np.ndarray, delay_s: float) -> dict:
    """After `delay_s`, streams `audio` at real-time pace; returns final texts and their latencies,
    or the server's refusal."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    await asyncio.sleep(delay_s)
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
    step = int(CLIENT_RATE * CHUNK_S)
    sent_at: list[float] = []  # wall time at which each chunk was sent
    finals, latencies = [], []
    async with connect(ws_url, max_size=None) as ws:
        try:
            await ws.send(json.dumps({"type": "start", "sample_rate": CLIENT_RATE}))
        except ConnectionClosed:
            pass  # refused at once: the "busy" message is waiting to be read
        ready = json.loads(await ws.recv())
        if ready["type"] != "ready":
            return {"refused": ready, "finals": [], "latencies": []}

        async def send():
            t0 = time.perf_counter()
            for k, i in enumerate(range(0, len(pcm), 2 * step)):
                await asyncio.sleep(max(0.0, t0 + k * CHUNK_S - time.perf_counter()))
                sent_at.append(time.perf_counter())
                await ws.send(pcm[i : i + 2 * step])
            await ws.send(json.dumps({"type": "stop"}))

        sender = asyncio.create_task(send())
        async for message in ws:
            event = json.loads(message)
            if event["type"] == "final" and event["text"]:
                chunk = min(int(event["end_s"] / CHUNK_S), len(sent_at) - 1)
                finals.append(event["text"])
                latencies.append(time.perf_counter() - sent_at[chunk] - CHUNK_S)
        await sender
    return {"finals": finals, "latencies": latencies}


async def poll_health(url: str, stop: asyncio.Event) -> list[float]:
    import httpx

    times = []
    async with httpx.AsyncClient() as http:
        while not stop.is_set():
            t = time.perf_counter()
            (await http.get(f"{url}/api/health")).raise_for_status()
            times.append(time.perf_counter() - t)
            await asyncio.sleep(0.2)
    return times


async def run_level(
    url: str, utterances, sessions: int, seconds: float, gap_s: float, stagger_s: float
) -> dict:
    ws_url = url.replace("http://", "ws://") + "/ws/captions"
    lists = [playlist(utterances, c, seconds, gap_s) for c in range(sessions)]
    stop = asyncio.Event()
    poller = asyncio.create_task(poll_health(url, stop))
    results = await asyncio.gather(
        *(client(ws_url, audio, c * stagger_s) for c, (audio, _) in enumerate(lists))
    )
    stop.set()
    health = await poller
    from openhear.asr.wer import word_errors

    errors = words = 0
    for (_, texts), result in zip(lists, results, strict=False):
        if "refused" not in result:
            e, n = word_errors(" ".join(texts), " ".join(result["finals"]))
            errors, words = errors + e, words + n
    latencies = np.array([x for r in results for x in r["latencies"]])
    return {
        "sessions": sessions,
        "admitted": sum("refused" not in r for r in results),
        "finals": latencies.size,
        "lat_median_s": float(np.median(latencies)),
        "lat_p95_s": float(np.percentile(latencies, 95)),
        "wer": errors / max(words, 1),
        "health_median_ms": 1000 * float(np.median(health)),
        "health_p95_ms": 1000 * float(np.percentile(health, 95)),
        "health_max_ms": 1000 * float(np.max(health)),
    }


async def over_the_limit(url: str, limit: int) -> tuple[dict, float]:
    """Holds every session slot, then asks for one more: the answer and how long it took."""
    from websockets.asyncio.client import connect

    ws_url = url.replace("http://", "ws://") + "/ws/captions"
    holders = [await connect(ws_url) for _ in range(limit)]
    try:
        t = time.perf_counter()
        async with connect(ws_url) as extra:
            answer = json.loads(await extra.recv())
        return answer, time.perf_counter() - t
    finally:
        for ws in holders:
            await ws.close()


def main() -> int:
    from openhear.server import ServerOptions

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="about 15 s of speech per client instead of 40"
    )
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument(
        "--gap", type=float, default=1.0, help="silence between utterances, seconds"
    )
    parser.add_argument(
        "--stagger", type=float, default=5.0, help="seconds between the clients' starts"
    )
    parser.add_argument(
        "--update-interval",
        type=float,
        default=ServerOptions().caption_update_interval_s,
        help="seconds of speech between re-decodes in each session (the server's setting)",
    )
    args = parser.parse_args()

    from openhear.server import create_app
    from openhear.server.runner import BackgroundServer
    from openhear.server.services import load_services

    seconds = 15.0 if args.quick else 40.0
    utterances = load_utterances()
    options = ServerOptions(caption_update_interval_s=args.update_interval)
    services = load_services(Path(tempfile.mkdtemp(prefix="openhear-bench-")))
    server = BackgroundServer(create_app(options, services), options)
    try:
        rows = [
            asyncio.run(run_level(server.url, utterances, n, seconds, args.gap, args.stagger))
            for n in args.sessions
        ]
        refusal, refusal_s = asyncio.run(over_the_limit(server.url, options.max_caption_sessions))
    finally:
        server.stop()

    cpu = f"{os.cpu_count()}-core {platform.machine()}"
    print(
        f"\nmachine: {cpu}, {len(services.transcribers)} Whisper tiny.en transcribers (int8, 1 "
        f"thread each), re-decode every {args.update_interval:g} s of speech; ~{seconds:.0f} s "
        "of speech per client at real-time pace, 48 kHz 16-bit PCM in 100 ms messages, clients "
        f"starting {args.stagger:g} s apart; a client the server refuses counts as not "
        "admitted\n"
    )
    print(
        "| sessions asked | admitted | finals | final latency median | p95 | WER | health median "
        "| p95 | max |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['sessions']} | {r['admitted']} | {r['finals']} | {r['lat_median_s']:.2f} s | "
            f"{r['lat_p95_s']:.2f} s | {100 * r['wer']:.1f} % | {r['health_median_ms']:.1f} ms "
            f"| {r['health_p95_ms']:.1f} ms | {r['health_max_ms']:.1f} ms |"
        )
    print(
        f"\nsession {options.max_caption_sessions + 1} (limit {options.max_caption_sessions}): "
        f"answered {refusal['type']!r} in {1000 * refusal_s:.0f} ms: {refusal.get('message', '')} "
        f"(active {refusal.get('active')}, limit {refusal.get('limit')})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
