// The amplifier view: devices, start and stop, delay, dropouts, level meters, live sliders.
import { announce, getJson, pageSettings, postJson } from "./api.js";

const $ = (id) => document.getElementById(id);

export function setupAmplifier() {
  const state = $("amp-state");
  const adjustState = $("amp-adjust-state");
  const controls = [...document.querySelectorAll("#view-amplifier [data-param]")];
  let polling = null;

  const showLevel = (meterId, value) => {
    $(meterId).value = value ?? -80;
    $(`${meterId}-text`).textContent = value === null || value === undefined ? "–" : `${value.toFixed(0)} dBFS`;
  };

  const show = (status) => {
    $("amp-start").disabled = status.running || $("amp-start").dataset.noDevice === "true";
    $("amp-stop").disabled = !status.running;
    const delays = [];
    if (status.processing_latency_ms !== null) delays.push(`${status.processing_latency_ms.toFixed(1)} ms processing`);
    if (status.device_latency_ms !== null) delays.push(`${status.device_latency_ms.toFixed(1)} ms devices`);
    $("amp-latency").textContent = delays.length ? delays.join(" + ") : "–";
    $("amp-dropouts").textContent = status.running ? `${status.dropouts} in ${status.blocks} blocks` : "–";
    showLevel("amp-level-in", status.input_level_dbfs);
    showLevel("amp-level-out", status.output_level_dbfs);
    if (status.adjustments) {
      for (const control of controls) {
        if (document.activeElement !== control) control.value = status.adjustments[control.dataset.param];
        showValue(control);
      }
    }
  };

  const showValue = (control) => {
    const output = control.parentElement.querySelector("output");
    if (output) output.textContent = `${Number(control.value).toLocaleString()}${control.dataset.unit ?? ""}`;
  };

  // The sliders' ranges, steps and units, and the noise suppressors, come from the server
  // (fitting.adjustments); the page keeps only the words it shows for each suppressor.
  const applyRanges = async () => {
    const { sliders, noise_kinds: kinds } = await pageSettings();
    for (const select of controls.filter((control) => control.tagName === "SELECT")) {
      // The page's order and words for the kinds it knows, then any new kind under its name.
      const labels = new Map([...select.options].map((option) => [option.value, option.text]));
      const order = [...labels.keys()].filter((kind) => kinds.includes(kind));
      order.push(...kinds.filter((kind) => !labels.has(kind)));
      select.replaceChildren(...order.map((kind) => new Option(labels.get(kind) ?? kind, kind)));
    }
    for (const control of controls) {
      const range = sliders[control.dataset.param];
      if (control.type !== "range" || !range) continue;
      Object.assign(control, { min: range.low, max: range.high, step: range.step });
      control.dataset.unit = range.unit ? ` ${range.unit}` : "";
      showValue(control);
    }
  };

  const poll = (on) => {
    clearInterval(polling);
    polling = on ? setInterval(async () => show(await getJson("/api/amplifier/status")), 500) : null;
  };

  const fill = (select, devices) => {
    select.replaceChildren(new Option("System default", ""), ...devices.map((d) => new Option(d.name, d.index)));
  };

  const load = async () => {
    try {
      await applyRanges();
      const { devices, status } = await getJson("/api/amplifier");
      fill($("amp-input"), devices.inputs);
      fill($("amp-output"), devices.outputs);
      $("amp-start").dataset.noDevice = String(!devices.available);
      announce(devices.available ? (status.running ? "The amplifier is running." : "Ready. Choose devices and start.") : devices.message, state, !devices.available);
      show(status);
      poll(status.running);
    } catch (error) {
      announce(`Could not reach the amplifier: ${error.message}`, state, true);
    }
  };

  const device = (select) => (select.value === "" ? null : Number(select.value));
  $("amp-start").addEventListener("click", async () => {
    try {
      show(await postJson("/api/amplifier/start", {
        input_device: device($("amp-input")), output_device: device($("amp-output")), block_frames: Number($("amp-block").value),
      }));
      announce("The amplifier is running.", state);
      poll(true);
      $("amp-stop").focus();
    } catch (error) {
      announce(`Could not start: ${error.message}`, state, true);
    }
  });
  $("amp-stop").addEventListener("click", async () => {
    try {
      poll(false);
      show(await postJson("/api/amplifier/stop", {}));
      announce("The amplifier is stopped.", state);
      $("amp-start").focus();
    } catch (error) {
      announce(`Could not stop: ${error.message}`, state, true);
    }
  });

  for (const control of controls) {
    control.addEventListener("input", () => showValue(control));
    control.addEventListener("change", async () => {
      const value = control.tagName === "SELECT" ? control.value : Number(control.value);
      try {
        show(await postJson("/api/amplifier/adjust", { [control.dataset.param]: value }));
        announce("Saved.", adjustState);
      } catch (error) {
        announce(`Not changed: ${error.message}`, adjustState, true);
      }
    });
  }
  document.addEventListener("openhear:view", (event) => {
    if (event.detail === "amplifier") load();
    else poll(false);
  });
}
