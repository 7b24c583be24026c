"""What micro-batching decodes across caption streams would gain: N windows of speech (one per
stream) decoded by CTranslate2's Whisper one after the other, against one batched
`Whisper.generate` call over all N (its features take a batch dimension), on the same model, the
same threads and the same greedy or beam search.

    .venv/bin/python bench/whisper_batch.py [--streams 1,2,4] [--beam 1] [--threads 1] [--reps 3]

Each window is a transcribed dev utterance (padded with silence to 30 s, as
faster-whisper pads every window), with no prompt and no word timestamps: the encoder and decoder
cost that batching could share, not openhear's whole streaming decode (which adds a prompt, hot
words, temperature fallback and the word alignment pass per stream). Reports the best of --reps
CPU times of this process per mode (what a dedicated core would take: the wall clock of a machine
shared with other work mostly measures the other work) and the speed-up of the batched call; the
text of both is checked equal.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from server_load import load_utterances  # bench/ is on the path (above)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", default="1,2,4", help="batch sizes (default 1,2,4)")
    parser.add_argument("--beam", type=int, default=1, help="beam size (default 1: greedy)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions, best kept (default 3)")
    args = parser.parse_args()

    import ctranslate2
    import soxr
    from faster_whisper.feature_extractor import FeatureExtractor
    from faster_whisper.tokenizer import Tokenizer
    from tokenizers import Tokenizer as HFTokenizer

    from openhear.asr.whisper import bundled_model_path

    path = bundled_model_path()
    model = ctranslate2.models.Whisper(
        str(path), device="cpu", compute_type="int8", intra_threads=args.threads
    )
    tokenizer = Tokenizer(
        HFTokenizer.from_file(str(path / "tokenizer.json")), False, task="transcribe"
    )
    prompt = [tokenizer.sot, tokenizer.no_timestamps]
    extractor = FeatureExtractor()
    speech = [soxr.resample(audio, 48000, 16000) for _, audio in load_utterances()]
    sizes = [int(n) for n in args.streams.split(",")]
    print(f"{platform.processor() or platform.machine()}, tiny.en int8, {args.threads} thread(s),")
    print(f"beam {args.beam}, best of {args.reps}, CPU time of this process")
    print("| streams | one by one | batched | speed-up |\n|---:|---:|---:|---:|")
    for n in sizes:
        windows = [speech[i % len(speech)] for i in range(n)]
        padded = [np.pad(w[:480000], (0, max(0, 480000 - w.size))) for w in windows]  # 30 s
        features = np.stack([extractor(w)[:, :3000] for w in padded])

        def decode(batch: np.ndarray) -> list[str]:
            results = model.generate(
                ctranslate2.StorageView.from_array(np.ascontiguousarray(batch)),
                [prompt] * len(batch),
                beam_size=args.beam,
                max_length=224,
            )
            return [tokenizer.decode(r.sequences_ids[0]) for r in results]

        decode(features[:1])  # warm-up
        best_single = best_batch = float("inf")
        for _ in range(args.reps):
            started = time.process_time()
            single = [decode(features[i : i + 1])[0] for i in range(n)]
            best_single = min(best_single, time.process_time() - started)
            started = time.process_time()
            batched = decode(features)
            best_batch = min(best_batch, time.process_time() - started)
            if single != batched:
                print(f"  note: {n} streams: the batched text differs from the single decodes")
        print(
            f"| {n} | {best_single:.2f} s | {best_batch:.2f} s | {best_single / best_batch:.2f} x |"
        )


if __name__ == "__main__":
    main()
