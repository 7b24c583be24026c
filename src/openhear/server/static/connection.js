// Lost connections and microphones: one visible banner (announced once to screen readers),
// automatic reconnection with back-off, and help for a microphone the browser refused.
import { announce } from "./api.js";

const FIRST_RETRY_MS = 1000;
const LONGEST_RETRY_MS = 15000;
const problems = new Map(); // key -> message shown in the banner
const reconnectors = new Set();

function render() {
  const banner = document.getElementById("banner");
  document.getElementById("banner-text").textContent = [...problems.values()].join(" ");
  banner.hidden = problems.size === 0;
}

// Shows `message` in the banner under `key`; screen readers hear it only the first time.
export function reportProblem(key, message) {
  const isNew = !problems.has(key);
  problems.set(key, message);
  render();
  if (isNew) announce(message);
}

// Removes the banner's `key` message and says `message` (if any) once.
export function clearProblem(key, message = "") {
  if (!problems.delete(key)) return;
  render();
  if (message) announce(message);
}

// Keeps trying `attempt` (an async function that throws on failure) with growing pauses, the
// banner saying what was lost and when the next try is; `what` names what comes back.
export class Reconnector {
  constructor(key, what, attempt) {
    Object.assign(this, { key, what, attempt });
    this.timer = null;
    this.active = false;
  }

  lost(message) {
    this.message = message;
    this.delayMs = FIRST_RETRY_MS;
    this.active = true;
    reconnectors.add(this);
    this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    reportProblem(this.key, `${this.message} Trying again in ${Math.round(this.delayMs / 1000)} s.`);
    this.timer = setTimeout(() => this.tryNow(), this.delayMs);
  }

  async tryNow() {
    if (!this.active) return;
    clearTimeout(this.timer);
    reportProblem(this.key, `${this.message} Reconnecting…`);
    try {
      await this.attempt();
    } catch (_) {
      if (!this.active) return;
      this.delayMs = Math.min(2 * this.delayMs, LONGEST_RETRY_MS);
      this.schedule();
      return;
    }
    if (!this.active) return;
    this.active = false;
    reconnectors.delete(this);
    clearProblem(this.key, `Reconnected: ${this.what} again.`);
  }

  // The user gave up (pressed Stop, ended the conversation): no more tries, no banner.
  cancel() {
    this.active = false;
    clearTimeout(this.timer);
    reconnectors.delete(this);
    clearProblem(this.key);
  }
}

export function setupBanner() {
  document.getElementById("banner-retry").addEventListener("click", () => {
    for (const r of [...reconnectors]) r.tryNow();
  });
}

// What to do when the browser refused or could not open the microphone, in this browser's words.
export function microphoneHelp(error) {
  const name = error && error.name;
  if (name === "NotAllowedError" || name === "SecurityError") {
    const agent = navigator.userAgent;
    let how = "allow the microphone for this site in the browser's site settings, then try again.";
    if (/Firefox\//.test(agent)) {
      how = "click the crossed-out microphone icon left of the address, remove the block, " +
        "then try again.";
    } else if (/Edg\//.test(agent)) {
      how = "click the lock icon left of the address, set Microphone to Allow, then try again.";
    } else if (/Chrome\/|Chromium\//.test(agent)) {
      how = "click the site settings icon left of the address, set Microphone to Allow, " +
        "then try again.";
    } else if (/Safari\//.test(agent)) {
      how = "open Safari > Settings > Websites > Microphone, choose Allow for this site, " +
        "then try again.";
    }
    return `The browser is not allowed to use the microphone. To allow it, ${how}`;
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return "No microphone was found. Plug one in or turn it on, then try again.";
  }
  if (name === "NotReadableError" || name === "AbortError") {
    return "The microphone is in use by another program or could not be opened. " +
      "Close the other program, then try again.";
  }
  if (!window.isSecureContext) {
    return "Browsers allow the microphone only on https:// or on this computer (localhost). " +
      "Open the page that way, then try again.";
  }
  return error && error.message ? error.message : "The microphone could not be opened.";
}
