"""The systems the HASPI benchmark compares: each maps (mono input, listener name, rate) to (output,
delay).

The delay (samples) is what the system reports; the benchmark removes it before scoring.
"""

from __future__ import annotations

import json
import time
from functools import cache
from pathlib import Path

import numpy as np

AUDIOGRAMS = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "data"
    / "audiograms"
    / "bisgaard_2010.json"
)
NALR_TAPS = 220
"""The Clarity recipe's NAL-R FIR order; its linear phase delays by NALR_TAPS // 2 samples."""
COMPRESSOR = dict(threshold=0.35, attenuation=0.1, attack=50, release=1000, rms_buffer_size=0.064)
"""The Clarity recipe compressor settings."""
REFERENCE_DFN_STRENGTH = 0.5
"""DeepFilterNet3 strength of the reference front end: a 12 dB attenuation limit."""
OPENHEAR_NOISE = ("deepfilternet", REFERENCE_DFN_STRENGTH)
"""The noise suppressor (and strength) of the "openhear + noise suppression" system."""
CHAIN_BLOCK_FRAMES = 1024


@cache
def clarity_audiogram(name: str):
    """The Bisgaard preset as pyclarity's Audiogram (the same on both ears)."""
    from clarity.utils.audiogram import Audiogram

    data = json.loads(AUDIOGRAMS.read_text())
    return Audiogram(
        levels=np.array(data["audiograms"][name]["levels_db_hl"], float),
        frequencies=np.array(data["frequencies_hz"], float),
    )


def unprocessed(x: np.ndarray, listener: str, fs: int) -> tuple[np.ndarray, int]:
    return x, 0


@cache
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


@cache
def _ear_settings(listener: str):
    from openhear.dsp.chain import EarSettings
    from openhear.fitting.audiogram import preset
    from openhear.fitting.profile import fit_listener

    return EarSettings.from_profile(fit_listener(preset(listener)), "left")


def _ear_chain(listener: str, noise: tuple[str, float] | None, snr_adaptive: bool = False):
    from openhear.dsp.chain import EarChain
    from openhear.dsp.noise import make_suppressor

    suppressor = make_suppressor(*noise, snr_adaptive=snr_adaptive) if noise else None
    return EarChain(_ear_settings(listener), suppressor)


def _run_chain(
    x: np.ndarray,
    listener: str,
    fs: int,
    noise: tuple[str, float] | None,
    snr_adaptive: bool = False,
) -> tuple[np.ndarray, int]:
    """openhear's ear chain (default calibration: RMS 1.0 = 100 dB SPL, as
    Clarity), streamed in blocks."""
    ear = _ear_chain(listener, noise, snr_adaptive)
    ear.prepare(fs, CHAIN_BLOCK_FRAMES)
    x = np.asarray(x, np.float32)
    # copied: a processor's output block may be a buffer it reuses on the next call
    blocks = range(0, len(x), CHAIN_BLOCK_FRAMES)
    y = np.concatenate([ear.process(x[i : i + CHAIN_BLOCK_FRAMES]).copy() for i in blocks])
    return y.astype(np.float64), ear.latency_frames


def openhear_low_latency(x: np.ndarray, listener: str, fs: int) -> tuple[np.ndarray, int]:
    """openhear's NAL-R + WDRC fitting of the listener, no noise suppression (the live default)."""
    return _run_chain(x, listener, fs, None)


def openhear_with_noise_suppression(
    x: np.ndarray, listener: str, fs: int
) -> tuple[np.ndarray, int]:
    """The same fitting with the noise suppressor `OPENHEAR_NOISE` in the chain's noise slot."""
    return _run_chain(x, listener, fs, OPENHEAR_NOISE)


def openhear_with_adaptive_suppression(
    x: np.ndarray, listener: str, fs: int
) -> tuple[np.ndarray, int]:
    """The same with the suppressor's limit stepping back at a high estimated SNR."""
    return _run_chain(x, listener, fs, OPENHEAR_NOISE, snr_adaptive=True)


SYSTEMS = {
    "unprocessed": unprocessed,
    "Clarity baseline": clarity_baseline,
    "DFN3 12 dB + baseline": dfn_then_baseline,
    "openhear": openhear_low_latency,
    "openhear + DFN3 12 dB": openhear_with_noise_suppression,
    "openhear + adaptive DFN3": openhear_with_adaptive_suppression,
}


def lag_samples(y: np.ndarray, ref: np.ndarray, max_lag: int) -> int:
    """Lag (samples, either sign, up to max_lag) that maximises the
    cross-correlation of y with ref."""
    n = 1 << int(np.ceil(np.log2(len(y) + len(ref))))
    xc = np.fft.irfft(np.fft.rfft(y, n) * np.conj(np.fft.rfft(ref, n)), n)
    lags = np.r_[np.arange(0, max_lag + 1), np.arange(-max_lag, 0)]
    return int(lags[np.argmax(np.r_[xc[: max_lag + 1], xc[-max_lag:]])])


def _times_real_time(make, fs: int, seconds: float, block: int) -> float:
    """How many times faster than real time one processor runs over noise, in
    blocks, on this process."""
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

    makers = {
        "openhear low-latency chain (N3)": lambda: _ear_chain("N3", None),
        "openhear chain + DeepFilterNet3": lambda: _ear_chain("N3", OPENHEAR_NOISE),
        "openhear chain + spectral suppression": lambda: _ear_chain("N3", ("spectral", 0.5)),
        "DeepFilterNet3 alone": lambda: make_suppressor(*OPENHEAR_NOISE),
    }
    rows = [
        (label, block, _times_real_time(make, fs, seconds, block))
        for label, make in makers.items()
        for block in (48, 1024)
    ]
    lines = ["| processor (one ear, 48 kHz) | block | x real time (CPU time) |", "|---|---|---|"]
    lines += [f"| {label} | {block} | {rtf:.0f} |" for label, block, rtf in rows]
    return "\n".join(lines)
