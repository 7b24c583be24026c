// The hearing profile view: audiogram per ear (chart, import, presets), prescribed gains, saving,
// and listening to a recording before, after the fitting and as the loss would make it sound.
import { announce, getJson, postJson, request } from "./api.js";
import { AudiogramChart } from "./audiogram-chart.js";

const $ = (id) => document.getElementById(id);
const SPEECH = { 50: "soft", 65: "average", 80: "loud" };

export function setupProfile() {
  const state = $("profile-state");
  let listener = null;
  let adjustments = {};
  let pending = null;

  const renderGains = (result) => {
    const table = document.createElement("table");
    const caption = table.createCaption();
    caption.textContent = "Prescribed gain in dB (NAL-R) for soft, average and loud speech";
    const head = table.createTHead().insertRow();
    const corner = document.createElement("th");
    corner.scope = "col";
    corner.textContent = "Ear and speech level";
    head.append(corner);
    for (const f of result.frequencies_hz) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = f >= 1000 ? `${f / 1000} kHz` : `${f} Hz`;
      head.append(th);
    }
    const body = table.createTBody();
    for (const side of ["left", "right"]) {
      for (const [level, gains] of Object.entries(result.gains_db[side])) {
        const row = body.insertRow();
        const th = document.createElement("th");
        th.scope = "row";
        th.textContent = `${side === "left" ? "Left" : "Right"} ear, ${SPEECH[level]} (${level} dB SPL)`;
        row.append(th);
        for (const g of gains) row.insertCell().textContent = g.toFixed(0);
      }
    }
    $("gains").replaceChildren(table);
  };

  const prescribe = () => {
    clearTimeout(pending);
    pending = setTimeout(async () => {
      try {
        renderGains(await postJson("/api/fitting/prescribe", listener));
      } catch (error) {
        announce(`Could not compute gains: ${error.message}`, state, true);
      }
    }, 150);
  };

  const chart = new AudiogramChart($("audiogram"), (changed) => {
    listener = changed;
    prescribe();
  });
  const use = (next, message) => {
    listener = next;
    chart.set(listener);
    prescribe();
    if (message) announce(message, state);
  };

  // The Hearing check view hands its thresholds over here, to be saved as the profile.
  document.addEventListener("openhear:audiogram", (event) => use(
    event.detail, "Thresholds from your hearing check. Press “Save profile” to fit the amplifier to them.",
  ));

  for (const radio of document.querySelectorAll('input[name="ear"]')) {
    radio.addEventListener("change", () => chart.setActive(radio.value));
  }

  (async () => {
    try {
      const { presets } = await getJson("/api/fitting/presets");
      const select = $("preset");
      for (const p of presets) select.append(new Option(`${p.name}`, p.name));
      $("preset-apply").addEventListener("click", () => {
        const chosen = presets.find((p) => p.name === select.value);
        use(chosen, `Standard audiogram ${chosen.name} set for both ears.`);
      });
      const saved = await getJson("/api/fitting/profile");
      adjustments = saved.adjustments || {};
      if (saved.listener) use(saved.listener, null);
      else {
        select.value = "N2";
        use(presets.find((p) => p.name === "N2"), null);
        state.textContent = "Showing standard audiogram N2 as an example: enter your own thresholds.";
      }
    } catch (error) {
      announce(`Could not load the hearing profile: ${error.message}`, state, true);
    }
  })();

  $("audiogram-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    try {
      const imported = await (await request("POST", "/api/fitting/import", form)).json();
      use(imported, `Imported the audiogram from ${file.name}.`);
    } catch (error) {
      announce(`Could not import ${file.name}: ${error.message}`, state, true);
    }
  });

  $("profile-save").addEventListener("click", async () => {
    try {
      await request("PUT", "/api/fitting/profile", { ...listener, adjustments });
      announce("Profile saved. The amplifier uses it from now on.", state);
    } catch (error) {
      announce(`Could not save: ${error.message}`, state, true);
    }
  });

  $("recording").addEventListener("change", (event) => {
    const file = event.target.files[0];
    $("recording-hint").textContent = file ? `Using ${file.name}.` : "No file chosen: the bundled speech sample is used.";
  });
  const names = { before: "as recorded", after: "with your fitting", simulate: "as your hearing loss makes it sound" };
  for (const button of document.querySelectorAll("button.listen")) {
    button.addEventListener("click", async () => {
      const mode = button.dataset.mode;
      const form = new FormData();
      form.append("mode", mode);
      form.append("listener", JSON.stringify(listener));
      const file = $("recording").files[0];
      if (file) form.append("file", file);
      announce(`Preparing the recording ${names[mode]}…`, state);
      try {
        const blob = await (await request("POST", "/api/fitting/listen", form)).blob();
        const audio = $("listen-audio");
        if (audio.src) URL.revokeObjectURL(audio.src);
        audio.src = URL.createObjectURL(blob);
        await audio.play().catch(() => {});
        announce(`Playing the recording ${names[mode]}.`, state);
      } catch (error) {
        announce(`Could not prepare it: ${error.message}`, state, true);
      }
    });
  }
}
