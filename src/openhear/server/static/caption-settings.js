// Caption settings kept in this browser: the profanity mask sent in each caption session's start
// message ("off", "provisional" or "all"; see openhear/asr/screening.py).
const KEY = "openhear.profanityMask";
const select = () => document.getElementById("cap-profanity");

// The chosen mask, or null where the page has no such setting.
export function profanityMask() {
  const s = select();
  return s ? s.value : null;
}

export function setupCaptionSettings() {
  const s = select();
  if (!s) return;
  const saved = localStorage.getItem(KEY);
  if (saved && [...s.options].some((o) => o.value === saved)) s.value = saved;
  s.addEventListener("change", () => localStorage.setItem(KEY, s.value));
}
