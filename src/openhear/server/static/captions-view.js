// The live captions view: microphone -> server -> captions, pause/resume, clear and export.
import { announce, download, request } from "./api.js";
import { setupCaptionLanguage } from "./caption-language.js";
import { CaptionPane } from "./caption-pane.js";
import { setupCaptionSettings } from "./caption-settings.js";
import { CaptionStream } from "./capture.js";
import { Reconnector } from "./connection.js";

const $ = (id) => document.getElementById(id);

export function setupCaptions() {
  setupCaptionSettings();
  const pane = new CaptionPane($("caption-box"), $("cap-finals"), $("cap-provisional"), $("cap-jump"));
  const state = $("cap-state");
  const startButton = $("cap-start");
  const pauseButton = $("cap-pause");
  const cues = [];
  let stream = null;
  const language = setupCaptionLanguage($("cap-language-setting"), $("cap-language"));
  let lastLanguage = "";

  const stopped = (reason, isError) => {
    stream = null;
    reconnector.cancel();
    startButton.textContent = "Start captions";
    pauseButton.disabled = true;
    pauseButton.textContent = "Pause";
    announce(reason || "Captions stopped.", state, isError);
  };

  const LOST = {
    server: "The connection to the openhear server was lost: captions are not running.",
    microphone: "The microphone stopped or was unplugged: captions are not running.",
  };

  const open = async () => {
    const mine = new CaptionStream({
      onEvent: (event) => {
        if (event.type === "provisional") pane.setProvisional(event.text);
        else if (event.type === "final") {
          const code = event.language || "";
          cues.push({ text: event.text, start_s: event.start_s, end_s: event.end_s, language: code });
          // An identified language that changes starts a line of its own, named before the text.
          const changed = language.identifying() && code !== "" && code !== lastLanguage;
          const line = pane.append(event.text, null, changed);
          if (code) language.mark(line, code, changed);
          lastLanguage = code || lastLanguage;
        } else if (event.type === "ready") state.textContent = "Listening. Captions appear below.";
      },
      onClose: (reason, isError) => { if (stream === mine) stopped(reason, isError); },
      onLost: (what) => {
        if (stream !== mine) return;
        pane.setProvisional("");
        state.textContent = LOST[what];
        state.classList.add("error");
        reconnector.lost(LOST[what]);
      },
    });
    stream = mine;
    try {
      await mine.start(null, language.value());
    } catch (error) {
      mine.release();
      throw error;
    }
    if (pauseButton.textContent === "Resume") mine.pause();
  };

  const reconnector = new Reconnector("captions", "captions are running", async () => {
    await open();
    announce("Listening again. Captions continue below.", state);
  });

  startButton.addEventListener("click", async () => {
    if (stream) {
      stream.stop();
      stopped("Captions stopped.", false);
      return;
    }
    try {
      await open();
      startButton.textContent = "Stop captions";
      pauseButton.disabled = false;
      announce("Listening. Captions appear below.", state);
      // On a small screen the captions box comes fully into sight, newest line included.
      $("caption-box").scrollIntoView({ block: "nearest" });
    } catch (error) {
      stopped(`Could not start captions: ${error.message}`, true);
    }
  });

  // A new language takes effect at once: the running session ends (its captions are finished)
  // and a new one starts with the new language.
  language.onChange(async () => {
    lastLanguage = "";
    if (!stream) return;
    stream.stop();
    try {
      await open();
      announce("Listening in the new language.", state);
    } catch (error) {
      stopped(`Could not start captions: ${error.message}`, true);
    }
  });

  pauseButton.addEventListener("click", () => {
    if (!stream) return;
    if (stream.paused) {
      stream.resume();
      pauseButton.textContent = "Pause";
      announce("Listening again.", state);
    } else {
      stream.pause();
      pauseButton.textContent = "Resume";
      announce("Paused. Captions of what was said so far are being finished.", state);
    }
  });

  // Clearing loses the captions for good: the first press asks, the second clears.
  const clearButton = $("cap-clear");
  let confirming = false;
  const unconfirm = () => {
    confirming = false;
    clearButton.textContent = "Clear";
  };
  clearButton.addEventListener("blur", unconfirm);
  clearButton.addEventListener("click", () => {
    if (!confirming && pane.list.textContent.trim()) {
      confirming = true;
      clearButton.textContent = "Press again to clear";
      announce("Press Clear again to remove all captions for good.", state);
      return;
    }
    unconfirm();
    cues.length = 0;
    pane.clear();
    announce("Captions cleared.", state);
  });

  $("cap-export").addEventListener("click", async () => {
    const format = $("cap-format").value;
    if (!cues.length) {
      announce("There are no captions to export yet.", state, true);
      return;
    }
    try {
      const response = await request("POST", "/api/captions/export", { format, cues });
      download(await response.blob(), `captions.${format}`);
      announce(`Exported ${cues.length} caption lines as ${format}.`, state);
    } catch (error) {
      announce(`Export failed: ${error.message}`, state, true);
    }
  });

  // Exposed for the conversation view, which listens the same way.
  return { pane };
}
