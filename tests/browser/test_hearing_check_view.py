"""The Hearing check view in a real browser: calibrated pulses in one ear through Web Audio, presses
by key and by touch timed against them, the stop, and announcements that never mark a tone."""

from __future__ import annotations

import json
import math

import pytest

from browser.conftest import show

pytestmark = [pytest.mark.slow, pytest.mark.browser]

RECORDER = """
window.__tones = [];
window.__said = [];
const PageAudioContext = window.AudioContext;
window.AudioContext = class extends PageAudioContext {
  constructor(...args) { super(...args); window.__ctx = this; }
};
const curve = AudioParam.prototype.setValueCurveAtTime;
AudioParam.prototype.setValueCurveAtTime = function (values, start, duration) {
  this.__peak = Math.max(this.__peak || 0, ...values);
  return curve.call(this, values, start, duration);
};
const connect = AudioNode.prototype.connect;
AudioNode.prototype.connect = function (destination, output, input) {
  if (this instanceof OscillatorNode) this.__gain = destination;
  if (this instanceof GainNode && destination instanceof ChannelMergerNode) this.__channel = input;
  return connect.apply(this, arguments);
};
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (at) {
  const gain = this.__gain;
  window.__tones.push({
    frequency: this.frequency.value, at, peak: gain.gain.__peak, channel: gain.__channel,
  });
  return start.call(this, at);
};
document.addEventListener("DOMContentLoaded", () => {
  const announcer = document.getElementById("announcer");
  const said = () => { if (announcer.textContent) window.__said.push(announcer.textContent); };
  new MutationObserver(said)
    .observe(announcer, { childList: true, characterData: true, subtree: true });
});
"""


def answers_a_trial(page, trial: dict, tones_before: int, press: str) -> int:
    """Checks the tones the page scheduled for `trial` and presses (by `press`: "key" or "touch")
    0.35 s after the first pulse; returns the number of tones recorded so far."""
    if trial["rms_dbfs"] is None:
        return tones_before  # a catch trial: nothing may play, and nobody presses
    page.wait_for_function(f"window.__tones.length >= {tones_before + 3}")
    tones = page.evaluate(f"window.__tones.slice({tones_before})")
    assert len(tones) == 3
    amplitude = math.sqrt(2) * 10 ** (trial["rms_dbfs"] / 20)
    for tone in tones:
        assert tone["frequency"] == pytest.approx(trial["frequency_hz"])
        assert 20 * math.log10(tone["peak"] / amplitude) == pytest.approx(0.0, abs=0.05)
        assert tone["channel"] == (0 if trial["ear"] == "left" else 1)
    gaps = [b["at"] - a["at"] for a, b in zip(tones, tones[1:], strict=False)]
    assert gaps == pytest.approx([trial["pulse_s"] + trial["gap_s"]] * 2, abs=1e-6)
    page.wait_for_function(f"window.__ctx.currentTime >= {tones[0]['at'] + 0.35}")
    if press == "key":
        page.keyboard.press("Space")
    else:
        page.dispatch_event("#hc-respond", "pointerdown")
    return tones_before + 3


def test_the_check_plays_calibrated_pulses_in_one_ear_and_takes_presses(page, live_app):
    page.add_init_script(RECORDER)
    page.reload()
    page.wait_for_selector("html[data-ready=true]")
    show(page, "hearing")
    page.select_option("#hc-headphone", "circumaural")
    page.fill("#hc-calibration", "100")
    with page.expect_response(lambda r: r.url.endswith("/api/hearing-check")) as started:
        page.click("#hc-start")
    trial = started.value.json()["trial"]
    assert (trial["ear"], trial["frequency_hz"]) == ("right", 1000.0)
    assert trial["rms_dbfs"] == pytest.approx(40 + 5.5 - 100)  # 40 dB HL, ISO 389-8 at 1 kHz
    levels, tones = [], 0
    for n in range(6):
        with page.expect_response(lambda r: "/answer" in r.url, timeout=15000) as answered:
            tones = answers_a_trial(page, trial, tones, "key" if n % 2 == 0 else "touch")
        body = json.loads(answered.value.request.post_data)
        assert body["number"] == trial["number"]
        if trial["rms_dbfs"] is not None:
            start, end = trial["window_s"]
            assert any(start <= t <= end for t in body["presses_s"]), body
            levels.append(trial["rms_dbfs"])
        else:
            assert body["presses_s"] == []
        trial = answered.value.json()["trial"]
    # every tone was answered, so each came 10 dB below the one before (40, 30, 20 ... dB HL)
    assert levels[:3] == pytest.approx([levels[0] - 10 * k for k in range(3)])
    # Escape stops at once: nothing more is scheduled, the check is dropped, nothing saved
    with page.expect_request(lambda r: r.method == "DELETE"):
        page.keyboard.press("Escape")
    assert page.inner_text("#hc-state").startswith("Stopped")
    assert page.is_disabled("#hc-respond")
    count = page.evaluate("window.__tones.length")
    page.wait_for_timeout(2500)
    assert page.evaluate("window.__tones.length") == count
    said = page.evaluate("window.__said")
    progress = [s for s in said if s.startswith("Right ear, 1 kHz")]
    assert progress == ["Right ear, 1 kHz: frequency 1 of 14."]  # once, not once per tone
    assert not any(word in " ".join(said).lower() for word in ("tone now", "playing", "beep"))
