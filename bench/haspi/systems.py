"""The systems the HASPI benchmark compares: each maps (mono input, listener name, rate) to (output, delay).

The delay (samples) is what the system reports; the benchmark removes it before scoring.
"""

from __future__ import annotations

import json
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

AUDIOGRAMS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "audiograms" / "bisgaard_2010.json"
NALR_TAPS = 220
"""The Clarity recipe's NAL-R FIR order; its linear phase delays by NALR_TAPS // 2 samples."""
COMPRESSOR = dict(threshold=0.35, attenuation=0.1, attack=50, release=1000, rms_buffer_size=0.064)
"""The Clarity recipe compressor settings."""
REFERENCE_DFN_STRENGTH = 0.5
"""DeepFilterNet3 strength of the reference front end: a 12 dB attenuation limit."""


@lru_cache(maxsize=None)
def clarity_audiogram(name: str):
    """The Bisgaard preset as pyclarity's Audiogram (the same on both ears)."""
    from clarity.utils.audiogram import Audiogram

    data = json.loads(AUDIOGRAMS.read_text())
    return Audiogram(levels=np.array(data["audiograms"][name]["levels_db_hl"], float),
                     frequencies=np.array(data["frequencies_hz"], float))


def unprocessed(x: np.ndarray, listener: str, fs: int) -> tuple[np.ndarray, int]:
    return x, 0


@lru_cache(maxsize=None)
def _nalr_fir(listener: str, fs: int) -> np.ndarray:
    from clarity.enhancer.nalr import NALR

    fir, _ = NALR(NALR_TAPS, fs).build(clarity_audiogram(listener))
    return fir


def clarity_baseline(x: np.ndarray, listener: str, fs: int) -> tuple[np.ndarray, int]:
    """pyclarity's NAL-R, then its compressor, then a tanh soft clip, as in the Clarity recipes."""
    from clarity.enhancer.compressor import Compressor

    y = np.convolve(x, _nalr_fir(listener, fs))
    y, _, _ = Compressor(fs=fs, **COMPRESSOR).process(y)
    return np.tanh(y), NALR_TAPS // 2


def denoise(x: np.ndarray, kind: str, strength: float, fs: int) -> tuple[np.ndarray, int]:
    from openhear.dsp.noise import make_suppressor

    s = make_suppressor(kind, strength, fs, max_block_frames=len(x))
    y = s.process(np.asarray(x, np.float32)).astype(np.float64)
    if hasattr(s, "close"):
        s.close()
    return y, s.latency_frames


def dfn_then_baseline(x: np.ndarray, listener: str, fs: int) -> tuple[np.ndarray, int]:
    """DeepFilterNet3 limited to 12 dB in front of the Clarity baseline (the reference to beat)."""
    y, d1 = denoise(x, "deepfilternet", REFERENCE_DFN_STRENGTH, fs)
    y, d2 = clarity_baseline(y, listener, fs)
    return y, d1 + d2


SYSTEMS = {
    "unprocessed": unprocessed,
    "Clarity baseline": clarity_baseline,
    "DFN3 12 dB + baseline": dfn_then_baseline,
}


def lag_samples(y: np.ndarray, ref: np.ndarray, max_lag: int) -> int:
    """Lag (samples, either sign, up to max_lag) that maximises the cross-correlation of y with ref."""
    n = 1 << int(np.ceil(np.log2(len(y) + len(ref))))
    xc = np.fft.irfft(np.fft.rfft(y, n) * np.conj(np.fft.rfft(ref, n)), n)
    lags = np.r_[np.arange(0, max_lag + 1), np.arange(-max_lag, 0)]
    return int(lags[np.argmax(np.r_[xc[: max_lag + 1], xc[-max_lag:]])])


def _times_real_time(make, fs: int, seconds: float, block: int) -> float:
    """How many times faster than real time one processor runs over noise, in blocks, on this process."""
    rng = np.random.default_rng(0)
    x = (0.05 * rng.standard_normal(int(seconds * fs))).astype(np.float32)
    p = make()
    p.prepare(fs, block)
    t = time.process_time()
    for i in range(0, len(x) - block + 1, block):
        p.process(x[i : i + block])
    return seconds / (time.process_time() - t)


def throughput_table(fs: int = 48000, seconds: float = 10.0) -> str:
    """Markdown table: times real time per ear on one core (CPU time of this process)."""
    from openhear.dsp.noise import make_suppressor

    rows = []
    for label, kind in (("spectral noise suppression alone", "spectral"),
                        ("DeepFilterNet3 alone", "deepfilternet")):
        for block in (64, 1024):
            rows.append((label, block, _times_real_time(lambda: make_suppressor(kind, 0.5), fs, seconds, block)))
    lines = ["| processor (one ear, 48 kHz) | block | x real time (CPU time) |", "|---|---|---|"]
    lines += [f"| {label} | {block} | {rtf:.0f} |" for label, block, rtf in rows]
    return "\n".join(lines)
