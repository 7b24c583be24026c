// Talking to the openhear server: JSON in, JSON (or audio) out, one-line errors as exceptions.

export class ApiError extends Error {
  constructor(message, unreachable = false) {
    super(message);
    // True when the server could not be reached at all (stopped, network gone), not a refusal.
    this.unreachable = unreachable;
  }
}

export const UNREACHABLE =
  "the openhear server cannot be reached (it may have stopped, or the network is down)";

async function failure(response) {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) message = body.error.message;
  } catch (_) { /* not JSON: keep the status line */ }
  return new ApiError(message);
}

export async function request(method, path, body) {
  const init = { method, headers: {} };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (_) {
    // The browser's own words ("Failed to fetch") help nobody: say what happened.
    throw new ApiError(UNREACHABLE, true);
  }
  if (!response.ok) throw await failure(response);
  return response;
}

export const getJson = async (path) => (await request("GET", path)).json();
export const postJson = async (path, body) => (await request("POST", path, body)).json();
export const del = async (path) => (await request("DELETE", path)).json();

// What the page shares with the library (slider ranges and units, noise suppressors, the marks
// that end a sentence), read once from the server rather than written here; asked again after a
// failure.
let settingsRequest = null;
export function pageSettings() {
  settingsRequest ??= getJson("/api/settings").catch((error) => {
    settingsRequest = null;
    throw error;
  });
  return settingsRequest;
}

export function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

// Offers `blob` as a download named `filename`.
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// Says `message` to screen readers (and shows it in `element` when given).
export function announce(message, element, isError = false) {
  if (element) {
    element.textContent = message;
    element.classList.toggle("error", isError);
  }
  const announcer = document.getElementById("announcer");
  announcer.textContent = "";
  requestAnimationFrame(() => { announcer.textContent = message; });
}
