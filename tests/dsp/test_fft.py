"""The in-place real FFTs: numpy's gufuncs and the public fallback both give
np.fft's numbers exactly."""

from __future__ import annotations

import numpy as np
import pytest

from openhear.dsp import fft


@pytest.fixture(params=["gufuncs", "public np.fft"])
def path(request, monkeypatch):
    if request.param == "public np.fft":
        monkeypatch.setattr(fft, "_gufuncs", None)
    else:
        assert fft._gufuncs is not None  # the pinned numpy has them
    return request.param


@pytest.mark.parametrize("n", [192, 191, 1024])
@pytest.mark.parametrize(
    "real, complex_", [(np.float64, np.complex128), (np.float32, np.complex64)]
)
@pytest.mark.parametrize("shape", [(), (16,)])
def test_forward_and_inverse_equal_np_fft(path, n, real, complex_, shape):
    rng = np.random.default_rng(n)
    frames = rng.standard_normal(shape + (n,)).astype(real)
    spectra = np.zeros(shape + (n // 2 + 1,), complex_)
    got = fft.rfft_rows(frames, spectra)
    assert got is spectra or np.shares_memory(got, spectra)
    np.testing.assert_array_equal(spectra, np.fft.rfft(frames, axis=-1).astype(complex_))
    back = np.zeros(shape + (n,), real)
    fft.irfft_rows(spectra, n, back)
    np.testing.assert_array_equal(back, np.fft.irfft(spectra, n, axis=-1))
    np.testing.assert_allclose(back, frames, atol=1e-4 if real is np.float32 else 1e-12)
