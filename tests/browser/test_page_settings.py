"""The page takes what it shares with the library from `GET /api/settings` instead of writing it:
the amplifier's slider ranges and units, its noise suppressors."""

from __future__ import annotations

import pytest

from browser.conftest import show
from openhear.fitting.adjustments import NOISE_KINDS, SLIDER_RANGES

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_the_amplifier_sliders_take_their_ranges_from_the_server(page):
    show(page, "amplifier")
    page.wait_for_function("document.getElementById('amp-boost').hasAttribute('max')")
    boost = SLIDER_RANGES["boost_db"]
    assert page.get_attribute("#amp-boost", "min") == f"{boost.low:g}"
    assert page.get_attribute("#amp-boost", "max") == f"{boost.high:g}"
    strength = SLIDER_RANGES["noise_strength"]
    assert page.get_attribute("#amp-noise", "step") == f"{strength.step:g}"
    assert page.get_attribute("#amp-noise", "max") == f"{strength.high:g}"
    kinds = page.eval_on_selector_all("#amp-noise-kind option", "all => all.map(o => o.value)")
    assert sorted(kinds) == sorted(NOISE_KINDS)
    assert page.inner_text("#amp-noise-kind option[value=rnnoise]").startswith("RNNoise")
