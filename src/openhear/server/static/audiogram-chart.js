// An audiogram chart in SVG that is edited by pointer or keyboard. Each ear's thresholds are a
// group of sliders with one tab stop (roving focus): Up/Down move the mark 5 dB (Page Up/Down 20),
// Left/Right/Home/End go to another frequency, as the visible chart does.
const SVG = "http://www.w3.org/2000/svg";
const W = 640, H = 400, LEFT = 64, RIGHT = 24, TOP = 24, BOTTOM = 48;
const MIN_DB = -10, MAX_DB = 120, STEP_DB = 5;
const F_LO = Math.log(200), F_HI = Math.log(10000);

const x = (f) => LEFT + ((Math.log(f) - F_LO) / (F_HI - F_LO)) * (W - LEFT - RIGHT);
const y = (db) => TOP + ((db - MIN_DB) / (MAX_DB - MIN_DB)) * (H - TOP - BOTTOM);
const label = (f) => (f >= 1000 ? `${f / 1000}k` : String(f));
const el = (name, attrs = {}, parent = null) => {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.append(node);
  return node;
};

export class AudiogramChart {
  // onChange(listener) is called after every edit.
  constructor(container, onChange) {
    this.onChange = onChange;
    this.active = "left";
    this.focusIndex = 0;
    this.svg = el("svg", {
      viewBox: `0 0 ${W} ${H}`, role: "group", "aria-labelledby": "audiogram-title", "aria-describedby": "audiogram-help",
    });
    const title = el("title", { id: "audiogram-title" }, this.svg);
    title.textContent = "Audiogram: hearing threshold in dB HL per frequency";
    container.append(this.svg);
    const help = document.createElement("p");
    help.id = "audiogram-help";
    help.className = "hint";
    help.textContent = "Tab to the chart, then: Up and Down move the mark 5 dB (Page Up and Page Down 20 dB), Left and Right go to the next frequency. Lower on the chart means a bigger hearing loss.";
    container.append(help);
    this.svg.addEventListener("pointerdown", (e) => this.pointer(e));
  }

  set(listener) {
    this.listener = JSON.parse(JSON.stringify(listener));
    this.draw();
  }

  setActive(side) {
    this.active = side;
    this.draw();
  }

  draw() {
    const { listener } = this;
    const freqs = listener.left.frequencies_hz;
    const hadFocus = this.svg.contains(document.activeElement);
    this.svg.querySelectorAll("g.layer").forEach((g) => g.remove());
    const grid = el("g", { class: "layer", "aria-hidden": "true" }, this.svg);
    for (let db = MIN_DB; db <= MAX_DB; db += 10) {
      el("line", { class: "grid", x1: LEFT, x2: W - RIGHT, y1: y(db), y2: y(db) }, grid);
      if (db % 20 === 0) el("text", { class: "axis-label", x: LEFT - 8, y: y(db) + 4, "text-anchor": "end" }, grid).textContent = db;
    }
    for (const f of freqs) {
      el("line", { class: "grid", x1: x(f), x2: x(f), y1: TOP, y2: H - BOTTOM }, grid);
      el("text", { class: "axis-label", x: x(f), y: H - BOTTOM + 18, "text-anchor": "middle" }, grid).textContent = label(f);
    }
    el("text", { class: "axis-label", x: (W + LEFT) / 2, y: H - 8, "text-anchor": "middle" }, grid).textContent = "Frequency (Hz)";
    const yTitle = el("text", { class: "axis-label", x: 16, y: (H - BOTTOM + TOP) / 2, "text-anchor": "middle", transform: `rotate(-90 16 ${(H - BOTTOM + TOP) / 2})` }, grid);
    yTitle.textContent = "Hearing level (dB HL)";

    for (const side of ["right", "left"].sort((a) => (a === this.active ? 1 : -1))) {
      const levels = listener[side].levels_db_hl;
      const layer = el("g", { class: `layer ${side === this.active ? "" : "inactive"}` }, this.svg);
      if (side !== this.active) layer.setAttribute("aria-hidden", "true");
      el("polyline", {
        class: `ear-${side}`, "stroke-dasharray": side === "left" ? "6 4" : "none",
        points: freqs.map((f, i) => `${x(f)},${y(levels[i])}`).join(" "),
      }, layer);
      freqs.forEach((f, i) => {
        const point = el("g", { class: "point" }, layer);
        const cx = x(f), cy = y(levels[i]);
        el("circle", { class: "halo", cx, cy, r: 13 }, point);
        if (side === "right") el("circle", { class: "ear-right", cx, cy, r: 7 }, point);
        else el("path", { class: "ear-left", d: `M${cx - 6} ${cy - 6}L${cx + 6} ${cy + 6}M${cx + 6} ${cy - 6}L${cx - 6} ${cy + 6}` }, point);
        if (side !== this.active) return;
        Object.entries({
          role: "slider", tabindex: i === this.focusIndex ? "0" : "-1",
          "aria-label": `${side === "left" ? "Left" : "Right"} ear, ${f} Hz`,
          "aria-valuemin": MIN_DB, "aria-valuemax": MAX_DB, "aria-valuenow": levels[i],
          "aria-valuetext": `${levels[i]} dB HL`, "aria-orientation": "vertical", "data-index": i,
        }).forEach(([k, v]) => point.setAttribute(k, v));
        point.addEventListener("keydown", (e) => this.key(e, i));
        point.addEventListener("focus", () => { this.focusIndex = i; });
      });
    }
    if (hadFocus) this.focusPoint(this.focusIndex);
  }

  focusPoint(i) {
    const point = this.svg.querySelector(`g.point[data-index="${i}"]`);
    if (point) point.focus();
  }

  change(i, db) {
    const levels = this.listener[this.active].levels_db_hl;
    const next = Math.max(MIN_DB, Math.min(MAX_DB, db));
    if (next === levels[i]) return;
    levels[i] = next;
    this.focusIndex = i;
    this.draw();
    this.onChange(this.listener);
  }

  key(event, i) {
    const levels = this.listener[this.active].levels_db_hl;
    const last = levels.length - 1;
    const moves = {
      ArrowDown: () => this.change(i, levels[i] + STEP_DB),
      ArrowUp: () => this.change(i, levels[i] - STEP_DB),
      PageDown: () => this.change(i, levels[i] + 4 * STEP_DB),
      PageUp: () => this.change(i, levels[i] - 4 * STEP_DB),
      ArrowRight: () => this.goTo(Math.min(last, i + 1)),
      ArrowLeft: () => this.goTo(Math.max(0, i - 1)),
      Home: () => this.goTo(0),
      End: () => this.goTo(last),
    };
    if (!moves[event.key]) return;
    event.preventDefault();
    moves[event.key]();
  }

  goTo(i) {
    this.focusIndex = i;
    this.draw();
    this.focusPoint(i);
  }

  pointer(event) {
    const box = this.svg.getBoundingClientRect();
    const px = ((event.clientX - box.left) / box.width) * W;
    const py = ((event.clientY - box.top) / box.height) * H;
    const freqs = this.listener[this.active].frequencies_hz;
    let nearest = 0;
    freqs.forEach((f, i) => { if (Math.abs(x(f) - px) < Math.abs(x(freqs[nearest]) - px)) nearest = i; });
    const db = MIN_DB + ((py - TOP) / (H - TOP - BOTTOM)) * (MAX_DB - MIN_DB);
    event.preventDefault();
    this.change(nearest, Math.round(db / STEP_DB) * STEP_DB);
    this.focusPoint(nearest);
  }
}
