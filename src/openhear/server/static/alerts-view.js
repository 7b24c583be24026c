// Sound alerts, seen: a screen flash over every view (never more than 3 flashes a second, WCAG
// 2.3.1; a steady banner where the system asks for reduced motion), the browser's notifications,
// vibration on phones, the history (stored by the server, cached here), which sounds to show,
// and acknowledgement. Alerts come from the server's event stream, whichever microphone stream
// (captions, a conversation, or this view's alerts-only listening) heard them.
import { setupAlertWords } from "./alert-words.js";
import { announce, getJson, request } from "./api.js";
import { CaptionStream } from "./capture.js";
import { Reconnector } from "./connection.js";

const FLASH_PERIOD_MS = 1000;
// One flash (on, then off) a second: a third of WCAG 2.3.1's limit of three a second.
const NOTICE_FLASHES = 3;
// Other alerts flash this many times, then stay as a steady banner; life-safety ones flash until
// acknowledged.
const ACTIVE_ON_LOAD_MS = 30 * 60 * 1000;
// On opening the page, an alert not yet acknowledged is shown again if it is this recent (steady:
// the person is looking at the screen); older ones are in the history.
const VIBRATION = {
  life_safety: [800, 400, 800, 400, 800, 400, 800],
  urgent: [500, 250, 500],
  notice: [250, 150, 250],
};
const SETTINGS_KEY = "openhear.alertSoundsOff"; // sounds the person turned off: ["dog", ...]
const STRICT_KEY = "openhear.alertSoundsStrict"; // sounds shown only when the detector is sure
const STRICT_SCORE = 0.7;
// "Only when sure": the alert's confidence must reach this (an alarm pattern always does). Not
// offered for life-safety alarms.
const CACHE_KEY = "openhear.alertHistory"; // the last history seen, for when the server is away

const $ = (id) => document.getElementById(id);

// "2026-12-02T05:20:00+0100" (the server's wall_time) as a Date.
function wallTime(text) {
  const date = new Date(String(text || "").replace(/([+-]\d\d)(\d\d)$/, "$1:$2"));
  return Number.isNaN(date.getTime()) ? null : date;
}

function timeText(record) {
  const date = wallTime(record.wall_time);
  if (!date) return "–";
  const today = date.toDateString() === new Date().toDateString();
  return today ? date.toLocaleTimeString() : date.toLocaleString();
}

// The flash: one timer toggles the screen between the colour and clear, FLASH_PERIOD_MS a cycle.
// New alerts never restart or speed it up, so the rate holds however many arrive.
class Flasher {
  constructor(screen) {
    this.screen = screen;
    this.timer = null;
    this.cyclesLeft = 0;
    this.untilAcknowledged = false;
    this.reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");
  }

  start(lifeSafety) {
    if (this.reducedMotion.matches) return this.stop();
    if (lifeSafety) this.untilAcknowledged = true;
    this.cyclesLeft = Math.max(this.cyclesLeft, NOTICE_FLASHES);
    if (this.timer !== null) return;
    this.screen.dataset.flash = "on";
    this.timer = setInterval(() => this.tick(), FLASH_PERIOD_MS / 2);
  }

  tick() {
    if (this.screen.dataset.flash === "on") {
      this.screen.dataset.flash = "off";
      this.cyclesLeft -= 1;
      if (this.cyclesLeft <= 0 && !this.untilAcknowledged) this.stop();
    } else {
      this.screen.dataset.flash = "on";
    }
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.cyclesLeft = 0;
    this.untilAcknowledged = false;
    this.screen.dataset.flash = "steady";
  }

  get flashing() { return this.timer !== null; }
}

export function setupAlerts() {
  const screen = $("alert-screen");
  const activeList = $("alert-active");
  const state = $("alerts-state");
  const flasher = new Flasher(screen);
  const history = new Map(); // id -> record, in arrival order
  const active = new Map(); // id -> record shown on screen until acknowledged
  const notifications = new Map(); // id -> Notification
  let sounds = []; // [{sound, label, priority}]
  const off = new Set(JSON.parse(localStorage.getItem(SETTINGS_KEY) || "[]"));
  const strict = new Set(JSON.parse(localStorage.getItem(STRICT_KEY) || "[]"));
  // Whether the person asked to see this alert (its sound on, and sure enough for them).
  const wanted = (record) => !off.has(record.sound) &&
    (record.life_safety || !strict.has(record.sound) || record.score >= STRICT_SCORE);

  // --- the alerts on screen -------------------------------------------------------------------
  const renderActive = () => {
    activeList.replaceChildren();
    const records = [...active.values()].reverse(); // newest first
    for (const record of records) {
      const item = document.createElement("li");
      item.className = record.life_safety ? "life-safety" : record.priority;
      const title = document.createElement("p");
      title.className = "alert-label";
      title.textContent = record.label;
      const detail = document.createElement("p");
      detail.className = "alert-detail";
      detail.textContent = `${timeText(record)} · ${Math.round(100 * record.score)} % sure` +
        (record.detail ? ` · ${record.detail}` : "");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "alert-ack";
      button.textContent = "Acknowledge";
      button.setAttribute("aria-label", `Acknowledge: ${record.label} at ${timeText(record)}`);
      button.addEventListener("click", () => acknowledge(record.id));
      item.append(title, detail, button);
      activeList.append(item);
    }
    const anySafety = records.some((r) => r.life_safety);
    screen.hidden = records.length === 0;
    screen.classList.toggle("life-safety", anySafety);
    if (!records.length) flasher.stop();
    else if (!anySafety && flasher.untilAcknowledged) {
      flasher.untilAcknowledged = false; // the alarm was acknowledged: the others finish flashing
    }
    const count = $("alert-count");
    count.hidden = records.length === 0;
    count.textContent = records.length ? ` (${records.length})` : "";
  };

  const show = (record, flash) => {
    active.set(record.id, record);
    renderActive();
    if (flash) flasher.start(record.life_safety);
    else if (!flasher.flashing) screen.dataset.flash = "steady";
    const first = activeList.querySelector(".alert-ack");
    if (record.life_safety && first) first.focus({ preventScroll: true });
  };

  const forget = (id) => {
    active.delete(id);
    const note = notifications.get(id);
    if (note) note.close();
    notifications.delete(id);
    renderActive();
  };

  const acknowledge = async (id) => {
    const record = history.get(id);
    forget(id);
    try {
      const event = await (await request("POST", `/api/alerts/${id}/acknowledge`)).json();
      if (record) record.acknowledged_at = event.acknowledged_at;
    } catch (_) {
      if (record) record.acknowledged_at = "here"; // the server is away: acknowledged on this page
    }
    renderHistory();
    announce(record ? `${record.label} acknowledged.` : "Alert acknowledged.");
  };

  // --- notifications and vibration ------------------------------------------------------------
  const notifyButton = $("alerts-notify");
  const notifyState = () => {
    if (!("Notification" in window)) {
      notifyButton.disabled = true;
      notifyButton.textContent = "This browser cannot show notifications";
    } else if (Notification.permission === "granted") {
      notifyButton.disabled = true;
      notifyButton.textContent = "Notifications are on";
    } else if (Notification.permission === "denied") {
      notifyButton.textContent = "Notifications are blocked in the browser's site settings";
    }
  };
  notifyButton.addEventListener("click", async () => {
    if (!("Notification" in window)) return;
    await Notification.requestPermission(); // asked on this press only, never unprompted
    notifyState();
  });
  notifyState();

  const notify = (record) => {
    if ("vibrate" in navigator) navigator.vibrate(VIBRATION[record.priority] || VIBRATION.notice);
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      const note = new Notification(record.label, {
        body: `${timeText(record)}: ${record.detail || record.label}`,
        tag: `openhear-alert-${record.id}`,
        requireInteraction: Boolean(record.life_safety),
      });
      note.addEventListener("click", () => window.focus());
      notifications.set(record.id, note);
    } catch (_) { /* Android Chrome allows notifications from a service worker only */ }
  };

  // --- history ---------------------------------------------------------------------------------
  const renderHistory = () => {
    const body = $("alert-history");
    body.replaceChildren();
    for (const record of [...history.values()].reverse()) {
      const row = document.createElement("tr");
      const acknowledged = record.acknowledged_at ? "yes" : record.life_safety ? "NOT YET" : "no";
      const cells = [
        timeText(record),
        record.label + (off.has(record.sound) ? " (turned off)" : wanted(record) ? "" : " (not sure enough)"),
        `${Math.round(100 * record.score)} %`,
        record.source === "pattern" ? "alarm pattern" : record.source,
        acknowledged,
      ];
      for (const text of cells) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.append(cell);
      }
      row.dataset.sound = record.sound;
      body.append(row);
    }
    $("alert-history-empty").hidden = history.size > 0;
    try {
      localStorage.setItem(CACHE_KEY, JSON.stringify([...history.values()].slice(-200)));
    } catch (_) { /* storage full or off: the server keeps the history */ }
  };

  const received = (record, live) => {
    if (history.has(record.id)) return;
    history.set(record.id, record);
    renderHistory();
    if (!wanted(record)) return;
    show(record, live);
    if (live) {
      notify(record);
      announce(`Sound alert: ${record.label}.`);
    }
  };

  const acknowledged = (event) => {
    const record = history.get(event.id);
    if (record) record.acknowledged_at = event.acknowledged_at;
    forget(event.id);
    renderHistory();
  };

  // --- which sounds to show -------------------------------------------------------------------
  const saveSettings = () => {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify([...off]));
    localStorage.setItem(STRICT_KEY, JSON.stringify([...strict]));
    const safetyOff = sounds.filter((s) => s.priority === "life_safety" && off.has(s.sound));
    const warning = safetyOff.length
      ? `Alerts for ${safetyOff.map((s) => s.label.toLowerCase()).join(", ")} are turned OFF: ` +
        "this page will not show them."
      : "";
    for (const element of [$("alert-safety-off"), $("alert-sounds-warning")]) {
      element.textContent = warning;
      element.hidden = !warning;
    }
  };

  const renderSounds = () => {
    const list = $("alert-sounds");
    list.replaceChildren();
    for (const sound of sounds) {
      const label = document.createElement("label");
      label.className = "check";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = sound.sound;
      box.checked = !off.has(sound.sound);
      box.addEventListener("change", () => {
        if (!box.checked && sound.priority === "life_safety") {
          const sure = confirm(
            `Turn off ${sound.label.toLowerCase()} alerts? If this alarm sounds, this page will ` +
            "NOT show it. Only do this if another device warns you of it.");
          if (!sure) {
            box.checked = true;
            return;
          }
        }
        if (box.checked) off.delete(sound.sound);
        else off.add(sound.sound);
        saveSettings();
        renderHistory();
        for (const [id, record] of active) if (!wanted(record)) forget(id);
      });
      const text = document.createElement("span");
      text.textContent = sound.label;
      if (sound.priority === "life_safety") {
        const mark = document.createElement("strong");
        mark.textContent = " (life safety)";
        text.append(mark);
      }
      label.append(box, text);
      const row = document.createElement("div");
      row.className = "alert-sound";
      row.append(label);
      if (sound.priority !== "life_safety") {
        const level = document.createElement("select");
        level.dataset.sound = sound.sound;
        level.setAttribute("aria-label", `Sensitivity for ${sound.label}`);
        level.append(new Option("Every alert", "all"), new Option("Only when sure", "strict"));
        level.value = strict.has(sound.sound) ? "strict" : "all";
        level.addEventListener("change", () => {
          if (level.value === "strict") strict.add(sound.sound);
          else strict.delete(sound.sound);
          saveSettings();
          renderHistory();
          for (const [id, record] of active) if (!wanted(record)) forget(id);
        });
        row.append(level);
      }
      list.append(row);
    }
  };

  // --- listening without captions -------------------------------------------------------------
  const listenButton = $("alerts-listen");
  let stream = null;
  const LOST = {
    server: "The connection to the openhear server was lost: sounds are not being listened for.",
    microphone: "The microphone stopped or was unplugged: sounds are not being listened for.",
  };
  const stopped = (reason, isError) => {
    stream = null;
    reconnector.cancel();
    listenButton.textContent = "Listen for sounds";
    announce(reason || "Stopped listening for sounds.", state, isError);
  };
  const open = async () => {
    const mine = new CaptionStream({
      onEvent: (event) => {
        if (event.type === "ready") state.textContent = "Listening for sounds.";
      },
      onClose: (reason, isError) => { if (stream === mine) stopped(reason, isError); },
      onLost: (what) => {
        if (stream !== mine) return;
        state.textContent = LOST[what];
        state.classList.add("error");
        reconnector.lost(LOST[what]);
      },
    }, "/ws/alerts");
    stream = mine;
    try {
      await mine.start();
    } catch (error) {
      mine.release();
      throw error;
    }
  };
  const reconnector = new Reconnector("alerts", "sounds are listened for", async () => {
    await open();
    announce("Listening for sounds again.", state);
  });
  listenButton.addEventListener("click", async () => {
    if (stream) {
      stream.stop();
      stopped("Stopped listening for sounds.", false);
      return;
    }
    try {
      await open();
      listenButton.textContent = "Stop listening";
      announce("Listening for sounds.", state);
    } catch (error) {
      stopped(`Could not listen: ${error.message}`, true);
    }
  });

  // --- the server's history and event stream --------------------------------------------------
  // The stored alerts: on opening the page, and again whenever the event stream (re)connects, so
  // what came or was acknowledged elsewhere while this page was cut off is caught up with.
  const load = async () => {
    let records;
    try {
      records = (await getJson("/api/alerts")).alerts;
    } catch (_) {
      records = JSON.parse(localStorage.getItem(CACHE_KEY) || "[]");
    }
    const now = Date.now();
    for (const record of records) {
      const known = history.get(record.id);
      if (known) {
        if (record.acknowledged_at && !known.acknowledged_at) acknowledged(record);
        continue;
      }
      history.set(record.id, record);
      const date = wallTime(record.wall_time);
      const recent = date && now - date.getTime() < ACTIVE_ON_LOAD_MS;
      if (!record.acknowledged_at && recent && wanted(record)) show(record, false);
    }
    renderHistory();
  };

  const subscribe = () => {
    const events = new EventSource("/api/alerts/events");
    events.addEventListener("alert", (m) => received(JSON.parse(m.data), true));
    events.addEventListener("acknowledged", (m) => acknowledged(JSON.parse(m.data)));
    events.addEventListener("open", async () => {
      await load();
      document.body.dataset.alertsSubscribed = "true";
    });
  };

  setupAlertWords();
  (async () => {
    try {
      sounds = (await getJson("/api/alerts/sounds")).sounds;
    } catch (_) {
      sounds = [];
    }
    renderSounds();
    saveSettings();
    subscribe();
    await load(); // also when the event stream cannot connect (the cached copy, then)
  })();
}
