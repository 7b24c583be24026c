// "Your name": the person's name and words to watch for, kept in this browser and sent in each
// caption session's start message (`alert_words`), so the server raises the `name` sound alert
// when live captions or a conversation's captions say one of them (openhear.server.alerts).
const KEY = "openhear.alertWords"; // {"name": "Ada", "words": "mum, help"}
const MAX_WORDS = 20; // the server's MAX_ALERT_WORDS
const MAX_CHARS = 100; // the server's MAX_ALERT_WORD_CHARS

function saved() {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) || "{}");
    return { name: String(value.name || ""), words: String(value.words || "") };
  } catch (_) {
    return { name: "", words: "" };
  }
}

// The name and the listed words, trimmed, without repeats (empty: nothing is watched for).
export function alertWords() {
  const { name, words } = saved();
  const all = [name, ...words.split(",")].map((w) => w.trim().slice(0, MAX_CHARS)).filter(Boolean);
  return [...new Set(all)].slice(0, MAX_WORDS);
}

export function setupAlertWords() {
  const nameInput = document.getElementById("alert-name");
  const wordsInput = document.getElementById("alert-words");
  const state = document.getElementById("alert-words-state");
  if (!nameInput || !wordsInput) return;
  const describe = () => {
    const words = alertWords();
    state.textContent = words.length
      ? `Captions are watched for: ${words.join(", ")}. This applies to captions and ` +
        "conversations started from now on."
      : "No name or words set: captions are not watched.";
  };
  const value = saved();
  nameInput.value = value.name;
  wordsInput.value = value.words;
  const save = () => {
    localStorage.setItem(KEY, JSON.stringify({ name: nameInput.value, words: wordsInput.value }));
    describe();
  };
  nameInput.addEventListener("input", save);
  wordsInput.addEventListener("input", save);
  describe();
}
