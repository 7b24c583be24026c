// The live captions view: microphone -> server -> captions, pause/resume, clear and export.
import { announce, download, request } from "./api.js";
import { CaptionPane } from "./caption-pane.js";
import { CaptionStream } from "./capture.js";

const $ = (id) => document.getElementById(id);

export function setupCaptions() {
  const pane = new CaptionPane($("caption-box"), $("cap-finals"), $("cap-provisional"), $("cap-jump"));
  const state = $("cap-state");
  const startButton = $("cap-start");
  const pauseButton = $("cap-pause");
  const cues = [];
  let stream = null;

  const stopped = (reason, isError) => {
    stream = null;
    startButton.textContent = "Start captions";
    pauseButton.disabled = true;
    pauseButton.textContent = "Pause";
    announce(reason || "Captions stopped.", state, isError);
  };

  startButton.addEventListener("click", async () => {
    if (stream) {
      stream.stop();
      stopped("Captions stopped.", false);
      return;
    }
    const mine = new CaptionStream({
      onEvent: (event) => {
        if (event.type === "provisional") pane.setProvisional(event.text);
        else if (event.type === "final") {
          cues.push({ text: event.text, start_s: event.start_s, end_s: event.end_s });
          pane.append(event.text);
        } else if (event.type === "ready") announce("Listening. Captions appear below.", state);
      },
      onClose: (reason, isError) => { if (stream === mine) stopped(reason, isError); },
    });
    stream = mine;
    try {
      await stream.start();
      startButton.textContent = "Stop captions";
      pauseButton.disabled = false;
    } catch (error) {
      stream.release();
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

  $("cap-clear").addEventListener("click", () => {
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
