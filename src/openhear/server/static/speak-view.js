// The speak view: type and press Enter to speak, a speed control, and saved phrases.
import { announce, del, getJson, postJson } from "./api.js";
import { MAX_SPEAK_CHARS, speak, speaker } from "./speech.js";

const $ = (id) => document.getElementById(id);

// Enter submits the form (Shift+Enter keeps a new line), as in a chat box.
export function enterSubmits(textarea, form) {
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
}

const LIMIT_TEXT = MAX_SPEAK_CHARS.toLocaleString("en");

// A live "N of 5,000 characters" under `textarea`; returns a check that says what is wrong
// with the text (too long) or null.
export function countCharacters(textarea, counter) {
  const update = () => {
    const n = textarea.value.length;
    counter.textContent = `${n.toLocaleString("en")} of ${LIMIT_TEXT} characters`;
    counter.classList.toggle("error", n > MAX_SPEAK_CHARS);
  };
  textarea.addEventListener("input", update);
  update();
  return () => {
    update();
    const n = textarea.value.length;
    if (n <= MAX_SPEAK_CHARS) return null;
    return `That is ${n.toLocaleString("en")} characters; one message can be at most ` +
      `${LIMIT_TEXT}. Shorten it or send it in parts: nothing was said.`;
  };
}

// The speech bar: what is speaking and what waits, Skip and Stop, Escape anywhere stops.
function setupSpeechBar() {
  const bar = $("speech-bar");
  const queue = $("speech-queue");
  speaker.addEventListener("change", () => {
    const { current, waiting } = speaker.snapshot();
    bar.hidden = current === null && !waiting.length;
    $("speech-now").textContent = current === null ? "" : current;
    $("speech-skip").disabled = current === null;
    const SHOWN = 5; // the queue lists the next few texts, each cut to a line or two
    const short = (text) => (text.length > 160 ? `${text.slice(0, 160)}…` : text);
    queue.replaceChildren(...waiting.slice(0, SHOWN).map((text) => {
      const item = document.createElement("li");
      item.textContent = short(text);
      return item;
    }));
    if (waiting.length > SHOWN) {
      const more = document.createElement("li");
      more.textContent = `and ${waiting.length - SHOWN} more`;
      queue.append(more);
    }
    $("speech-waiting").textContent = waiting.length ? `${waiting.length} waiting:` : "";
  });
  $("speech-skip").addEventListener("click", () => speaker.skip());
  $("speech-stop").addEventListener("click", () => {
    if (speaker.stop()) announce("Speech stopped.");
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented && speaker.stop()) {
      announce("Speech stopped.");
    }
  });
}

export function setupSpeak(conversation) {
  setupSpeechBar();
  const state = $("speak-state");
  const text = $("speak-text");
  const speed = $("speak-speed");
  const tooLong = countCharacters(text, $("speak-count"));
  // Says `words`; gives them back to the text box when they could not be said (and it is empty).
  const say = async (words, typed = false) => {
    if (!words.trim()) {
      announce("Type something to say first.", state, true);
      return;
    }
    announce("Speaking…", state);
    try {
      const id = conversation.current();
      const result = await speak(words, Number(speed.value), id);
      if (id !== null) conversation.said(words);
      if (result.skipped) state.textContent = "Stopped before the end.";
      else announce(id === null ? `Said: ${words}` : `Said, and added to conversation ${id}: ${words}`, state);
    } catch (error) {
      if (typed && !text.value) {
        text.value = words;
        text.dispatchEvent(new Event("input"));
      }
      const kept = typed ? " Your text is still in the box: press Speak to try again." : "";
      announce(`Could not speak: ${error.message}.${kept}`, state, true);
    }
  };

  speed.addEventListener("input", () => { $("speak-speed-value").textContent = `${Number(speed.value).toFixed(1)} ×`; });
  enterSubmits(text, $("speak-form"));
  $("speak-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const problem = tooLong();
    if (problem) {
      announce(problem, state, true);
      return;
    }
    const words = text.value;
    text.value = "";
    text.dispatchEvent(new Event("input"));
    say(words, true);
  });

  const list = $("phrases");
  const render = (phrases) => {
    list.replaceChildren(...phrases.map((p) => {
      const item = document.createElement("li");
      const sayButton = document.createElement("button");
      sayButton.type = "button";
      sayButton.textContent = p.name;
      sayButton.title = p.text;
      sayButton.setAttribute("aria-label", `Say “${p.text}”`);
      sayButton.addEventListener("click", () => say(p.text));
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "danger";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove phrase ${p.name}`);
      let confirming = false;
      remove.addEventListener("click", async () => {
        if (!confirming) {
          confirming = true;
          remove.textContent = "Press again to remove";
          announce(`Press Remove again to remove the phrase ${p.name}.`, state);
          return;
        }
        try {
          await del(`/api/phrases/${p.number}`);
          announce(`Removed phrase ${p.name}.`, state);
          render(await getJson("/api/phrases"));
          $("phrase-name").focus();
        } catch (error) {
          announce(`Could not remove it: ${error.message}`, state, true);
        }
      });
      const words = document.createElement("span");
      words.textContent = p.text;
      item.append(sayButton, remove, words);
      return item;
    }));
    if (!phrases.length) {
      const empty = document.createElement("li");
      empty.textContent = "No saved phrases yet.";
      list.append(empty);
    }
  };
  const refresh = async () => {
    try { render(await getJson("/api/phrases")); } catch (error) { announce(`Could not load phrases: ${error.message}`, state, true); }
  };

  $("phrase-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = $("phrase-name").value.trim();
    const phrase = $("phrase-text").value.trim() || text.value.trim();
    if (!name || !phrase) {
      announce("A phrase needs a name and its words.", state, true);
      return;
    }
    try {
      await postJson("/api/phrases", { name, text: phrase });
      $("phrase-name").value = "";
      $("phrase-text").value = "";
      announce(`Saved phrase ${name}.`, state);
      await refresh();
    } catch (error) {
      announce(`Could not save it: ${error.message}`, state, true);
    }
  });
  refresh();
}
