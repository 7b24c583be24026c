// The Hearing check view. The server runs the procedure (the same one `openhear hearing-test` runs)
// and says what to play; this page plays it with Web Audio, in one ear, with raised-cosine ramps,
// times the presses against the audio clock, and sends them back. Screen readers hear the progress
// when the frequency changes and the messages, never anything tied to a tone.
import { announce, del, postJson, request } from "./api.js";

const $ = (id) => document.getElementById(id);
const RAMP_POINTS = 64;
const SCHEDULE_AHEAD_S = 0.05;

function raisedCosine(points, amplitude, rising) {
  const curve = new Float32Array(points);
  for (let n = 0; n < points; n++) {
    const g = 0.5 * (1 - Math.cos((Math.PI * n) / (points - 1)));
    curve[n] = amplitude * (rising ? g : 1 - g);
  }
  return curve;
}

export function setupHearingCheck() {
  const view = $("view-hearing");
  const state = $("hc-state");
  const respond = $("hc-respond");
  let ctx = null;
  let master = null;
  let check = null; // {id, trial, t0, presses, timer, step}
  let oscillators = [];
  let lastAudiogram = null;

  const latency = () => (ctx && (ctx.outputLatency || ctx.baseLatency)) || 0;

  function play(trial) {
    // Schedules the trial's pulses; returns the audio-clock time at which the trial starts.
    const t0 = ctx.currentTime + SCHEDULE_AHEAD_S;
    if (trial.rms_dbfs === null) return t0; // a catch trial: nothing plays
    const amplitude = Math.SQRT2 * 10 ** (trial.rms_dbfs / 20);
    const merger = ctx.createChannelMerger(2);
    merger.connect(master);
    for (let k = 0; k < trial.pulses; k++) {
      const at = t0 + trial.onset_s + k * (trial.pulse_s + trial.gap_s);
      const osc = new OscillatorNode(ctx, { frequency: trial.frequency_hz });
      const gain = new GainNode(ctx, { gain: 0 });
      gain.gain.setValueCurveAtTime(raisedCosine(RAMP_POINTS, amplitude, true), at, trial.ramp_s);
      gain.gain.setValueCurveAtTime(
        raisedCosine(RAMP_POINTS, amplitude, false), at + trial.pulse_s - trial.ramp_s, trial.ramp_s,
      );
      osc.connect(gain).connect(merger, 0, trial.ear === "left" ? 0 : 1);
      osc.start(at);
      osc.stop(at + trial.pulse_s);
      oscillators.push(osc);
    }
    return t0;
  }

  function silence() {
    if (!ctx) return;
    master.gain.cancelScheduledValues(0);
    master.gain.setValueAtTime(0, ctx.currentTime);
    for (const osc of oscillators) {
      try { osc.stop(); } catch (_) { /* already stopped */ }
    }
    oscillators = [];
  }

  function showProgress(progress) {
    const bar = $("hc-progress");
    bar.max = progress.steps;
    bar.value = progress.step - 1;
    const text = `${progress.ear === "left" ? "Left" : "Right"} ear, ${progress.frequency_hz / 1000} kHz: ` +
      `frequency ${progress.step} of ${progress.steps}`;
    $("hc-progress-text").textContent = text;
    if (check.step !== `${progress.ear} ${progress.frequency_hz} ${progress.step}`) {
      check.step = `${progress.ear} ${progress.frequency_hz} ${progress.step}`;
      announce(`${text}.`);
    }
  }

  function runTrial(trial) {
    oscillators = []; // the last trial's pulses have ended
    check.trial = trial;
    check.presses = [];
    check.t0 = play(trial);
    const windowEnd = check.t0 + trial.window_s[1] + latency();
    check.timer = setTimeout(endTrial, (windowEnd - ctx.currentTime) * 1000);
  }

  function press() {
    if (!check || !check.trial) return;
    const t = ctx.currentTime - check.t0 - latency();
    const last = check.presses[check.presses.length - 1];
    if (last !== undefined && t - last < 0.05) return; // one press reported twice (key and click)
    check.presses.push(Math.max(0, t));
    const [from, to] = check.trial.window_s;
    if (t >= from && t <= to && !check.answered) {
      check.answered = true;
      clearTimeout(check.timer);
      check.timer = setTimeout(endTrial, check.trial.post_response_s * 1000);
    }
  }

  async function endTrial() {
    const current = check;
    if (!current) return;
    const { trial, presses } = current;
    current.trial = null;
    current.answered = false;
    try {
      const answer = await postJson(`/api/hearing-check/${current.id}/answer`, {
        number: trial.number, presses_s: presses,
      });
      if (check !== current) return; // stopped meanwhile
      for (const message of answer.messages) announce(message, state);
      if (answer.trial) {
        showProgress(answer.progress);
        runTrial(answer.trial);
      } else {
        finish(answer.result);
      }
    } catch (error) {
      stop(`The check stopped: ${error.message}`, true);
    }
  }

  function finish(result) {
    check = null;
    setRunning(false);
    $("hc-progress").value = $("hc-progress").max;
    if (!result.complete) {
      announce(`${result.warnings[result.warnings.length - 1]}. Nothing was saved.`, state, true);
      return;
    }
    lastAudiogram = result.audiogram;
    const frequencies = [...new Set([...result.ears.left, ...result.ears.right].map((t) => t.frequency_hz))]
      .sort((a, b) => a - b);
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    head.append(Object.assign(document.createElement("th"), { textContent: "Ear" }));
    for (const f of frequencies) {
      head.append(Object.assign(document.createElement("th"), { scope: "col", textContent: `${f / 1000} kHz` }));
    }
    const body = table.createTBody();
    for (const side of ["right", "left"]) {
      const row = body.insertRow();
      row.append(Object.assign(document.createElement("th"), { scope: "row", textContent: `${side === "left" ? "Left" : "Right"} ear` }));
      for (const f of frequencies) {
        const t = result.ears[side].find((x) => x.frequency_hz === f);
        row.insertCell().textContent = !t ? "" : t.level_db_hl === null ? `no response (>${t.max_level_db_hl})` : `${t.level_db_hl}`;
      }
    }
    $("hc-table").replaceChildren(table);
    const notes = [
      result.reliable ? "The answers were consistent." : "NOT reliable: see the warnings.",
      ...result.warnings.map((w) => `Warning: ${w}.`),
      ...result.referrals.map((r) => `See an audiologist: ${r}.`),
      result.note,
    ];
    $("hc-notes").replaceChildren(...notes.map((n) => Object.assign(document.createElement("li"), { textContent: n })));
    $("hc-result").hidden = false;
    announce(`Check finished and saved. ${result.referrals.length ? "It suggests seeing an audiologist." : ""}`, state);
  }

  function setRunning(running) {
    $("hc-start").disabled = running;
    $("hc-stop").disabled = !running;
    respond.disabled = !running;
    $("hc-headphone").disabled = running;
    $("hc-calibration").disabled = running;
  }

  function stop(message = "Stopped. Nothing was saved.", isError = false) {
    silence();
    const current = check;
    check = null;
    if (current) {
      clearTimeout(current.timer);
      del(`/api/hearing-check/${current.id}`).catch(() => {});
    }
    setRunning(false);
    announce(message, state, isError);
  }

  async function start() {
    $("hc-result").hidden = true;
    try {
      if (!ctx) ctx = new AudioContext();
      await ctx.resume();
      if (!master) {
        master = new GainNode(ctx);
        master.connect(ctx.destination);
      }
      master.gain.cancelScheduledValues(0);
      master.gain.setValueAtTime(1, ctx.currentTime);
      const calibration = $("hc-calibration").value;
      const started = await postJson("/api/hearing-check", {
        headphone: $("hc-headphone").value,
        calibration_db_spl: calibration === "" ? null : Number(calibration),
      });
      check = { id: started.id, step: null, presses: [], answered: false };
      setRunning(true);
      respond.focus();
      announce(`Started. Levels: ${started.calibration.text}.`, state);
      showProgress(started.progress);
      runTrial(started.trial);
    } catch (error) {
      stop(`Could not start the check: ${error.message}`, true);
    }
  }

  $("hc-start").addEventListener("click", start);
  $("hc-stop").addEventListener("click", () => stop());
  respond.addEventListener("pointerdown", (event) => { event.preventDefault(); press(); });
  // A click without a pointer: a screen reader activating the button (keys are handled below).
  respond.addEventListener("click", (event) => { if (event.detail === 0) press(); });
  document.addEventListener("keydown", (event) => {
    if (view.hidden || !check) return;
    if (event.key === "Escape") { event.preventDefault(); stop(); }
    else if (event.key === " " || event.key === "Enter") {
      if (event.target.closest && event.target.closest("#hc-stop")) return;
      event.preventDefault();
      press();
    }
  });
  document.addEventListener("openhear:view", (event) => { if (event.detail !== "hearing" && check) stop(); });
  $("hc-use").addEventListener("click", async () => {
    if (!lastAudiogram) return;
    const form = new FormData();
    form.append("file", new Blob([JSON.stringify(lastAudiogram)], { type: "application/json" }), "hearing-check.json");
    try {
      const listener = await (await request("POST", "/api/fitting/import", form)).json();
      document.dispatchEvent(new CustomEvent("openhear:audiogram", { detail: listener }));
      location.hash = "#profile";
    } catch (error) {
      announce(`Could not open it in the Hearing profile: ${error.message}`, state, true);
    }
  });
}
