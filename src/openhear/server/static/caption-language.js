// The captions' language setting. Shown only when the server's Whisper model is multilingual
// (`openhear serve --model base`): "Identify automatically" lets the model identify the language
// of each utterance (the page then shows it with the caption), or one language is fixed. The
// choice is kept in this browser and sent in the caption session's start message.
import { getJson } from "./api.js";

const KEY = "openhear.captionLanguage";
const AUTO = "auto";

// The language the page's setting asks for, for the Conversation and Calls views too (null: the
// server's own; the setting is shown only with a multilingual model).
export function chosenLanguage() {
  const wrapper = document.getElementById("cap-language-setting");
  const select = document.getElementById("cap-language");
  return wrapper && select && !wrapper.hidden && select.value ? select.value : null;
}

export function setupCaptionLanguage(wrapper, select) {
  const names = typeof Intl.DisplayNames === "function" ? new Intl.DisplayNames(["en"], { type: "language" }) : null;
  const name = (code) => {
    try {
      return (names && names.of(code)) || code;
    } catch {
      return code; // a code Intl does not know ("haw", "jw")
    }
  };
  let multilingual = false;

  const load = async () => {
    const captions = (await getJson("/api/health")).captions || {};
    const languages = captions.languages || [];
    multilingual = languages.length > 1;
    wrapper.hidden = !multilingual;
    if (!multilingual) return;
    const auto = new Option("Identify automatically", AUTO);
    const options = languages.map((code) => new Option(`${name(code)} (${code})`, code));
    options.sort((a, b) => a.text.localeCompare(b.text));
    select.replaceChildren(auto, ...options);
    const stored = localStorage.getItem(KEY);
    const wanted = stored || captions.language || AUTO;
    select.value = languages.includes(wanted) ? wanted : AUTO;
  };
  select.addEventListener("change", () => localStorage.setItem(KEY, select.value));
  load().catch(() => { wrapper.hidden = true; }); // an unreachable server says so elsewhere

  return {
    // The language for the start message (null: the server's own, for an English-only model).
    value: () => (multilingual ? select.value : null),
    // Whether each caption's language is identified, and so worth showing.
    identifying: () => multilingual && select.value === AUTO,
    // Marks a caption line as in `code` (for screen readers' pronunciation); with `tag`, shows
    // the language's name before the text.
    mark(line, code, tag) {
      line.lang = code;
      if (!tag) return;
      const label = document.createElement("span");
      label.className = "lang-tag";
      label.lang = "en";
      label.textContent = `${name(code)}: `; // the space keeps the name off the first word (innerText, copy)
      line.prepend(label);
    },
    onChange: (handler) => select.addEventListener("change", handler),
  };
}
