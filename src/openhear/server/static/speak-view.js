// The speak view: type and press Enter to speak, a speed control, and saved phrases.
import { announce, del, getJson, postJson } from "./api.js";
import { speak } from "./speech.js";

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

export function setupSpeak(conversation) {
  const state = $("speak-state");
  const text = $("speak-text");
  const speed = $("speak-speed");
  const say = async (words) => {
    if (!words.trim()) {
      announce("Type something to say first.", state, true);
      return;
    }
    announce("Speaking…", state);
    try {
      const id = conversation.current();
      await speak(words, Number(speed.value), id);
      if (id !== null) conversation.said(words);
      announce(id === null ? `Said: ${words}` : `Said, and added to conversation ${id}: ${words}`, state);
    } catch (error) {
      announce(`Could not speak: ${error.message}`, state, true);
    }
  };

  speed.addEventListener("input", () => { $("speak-speed-value").textContent = `${Number(speed.value).toFixed(1)} ×`; });
  enterSubmits(text, $("speak-form"));
  $("speak-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const words = text.value;
    text.value = "";
    say(words);
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
      remove.addEventListener("click", async () => {
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
