// The calls view: a SIP call run by the server (dial, wait and answer, hang up, keypad), or a
// call in any other app (what this computer plays). The other person's words are captioned
// live, typed replies are spoken into the call, and the server saves the call as a conversation.
// Each state (waiting, calling, ringing, connected, on hold, ended) is shown and announced.
// Everything the call does reaches the page as numbered events from GET /api/calls (a long poll);
// a "revision" event (the caption revision pass) rewrites the lines of its utterance in place, as
// in the captions and conversation views, so the page shows what the saved call holds.
import { announce, getJson, postJson } from "./api.js";
import { chosenLanguage } from "./caption-language.js";
import { CaptionPane } from "./caption-pane.js";
import { CaptionRevisions } from "./caption-revisions.js";
import { profanityMask } from "./caption-settings.js";
import { enterSubmits } from "./speak-view.js";

const $ = (id) => document.getElementById(id);

const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];
const ACTIVE = ["waiting", "calling", "ringing", "connected", "on hold"];
const BADGE = {
  idle: "No call",
  waiting: "Waiting for a call",
  calling: "Calling",
  ringing: "Ringing",
  connected: "Connected",
  "on hold": "On hold",
  ended: "Call ended",
};
const POLL_WAIT_S = 10;
const RETRY_MS = [500, 1000, 2000, 5000];

export function setupCalls() {
  const pane = new CaptionPane($("call-box"), $("call-transcript"), $("call-provisional"), null, "li");
  const revisions = new CaptionRevisions(pane);
  const clear = () => {
    pane.clear();
    revisions.clear();
  };
  const stateLine = $("call-state");
  let next = 0;
  let callState = "idle";
  let polling = false;
  let viewShown = false;
  let conversationId = null;
  let incoming = false; // the ringing call is one for us to answer
  let first = true;

  // The page's profanity setting (under Captions) applies to the other person's captions too.
  const startOptions = () => {
    const mask = profanityMask();
    const language = chosenLanguage();
    return {
      disclosure: $("call-disclosure").checked,
      ...(mask ? { profanity_mask: mask } : {}),
      ...(language ? { language } : {}),
    };
  };

  const render = (snapshot) => {
    const sip = snapshot.sip;
    const missing = $("call-sip-missing");
    missing.hidden = sip.available;
    if (!sip.available) {
      missing.textContent = "SIP calls need pjsua2, which is not installed on the server: " +
        `run ${sip.install} and restart openhear serve. Captioning a call in another app still works.`;
    }
    $("call-dial").disabled = !sip.available || ACTIVE.includes(snapshot.state);
    $("call-wait").disabled = !sip.available || ACTIVE.includes(snapshot.state);
    $("call-system").disabled = ACTIVE.includes(snapshot.state);
    $("call-hangup").disabled = !ACTIVE.includes(snapshot.state);
    $("call-hangup").textContent = snapshot.state === "waiting" ? "Stop waiting" : "Hang up";
    $("call-send").disabled = snapshot.state !== "connected";
    for (const key of $("call-keypad").querySelectorAll("button")) {
      key.disabled = snapshot.state !== "connected" || snapshot.mode !== "sip";
    }
    const ringing = snapshot.state === "ringing" && snapshot.mode === "sip" && snapshot.remote && incoming;
    $("call-ringing").hidden = !ringing;
    if (ringing) $("call-ringing-text").textContent = `Incoming call from ${snapshot.remote}`;
    const badge = $("call-badge");
    badge.dataset.state = snapshot.state;
    badge.textContent = BADGE[snapshot.state] || snapshot.state;
    if (snapshot.conversation_id) conversationId = snapshot.conversation_id;
  };

  const handle = (event) => {
    if (event.type === "state") {
      callState = event.state;
      if (event.state === "waiting" || event.state === "calling") incoming = false;
      if (event.state === "ended" || event.state === "idle") {
        incoming = false;
        pane.setProvisional("");
      }
      announce(event.text, stateLine, event.state === "ended" && /failed|Missed/.test(event.text));
      if (event.state === "ended" && conversationId) {
        const link = document.createElement("a");
        link.href = "#conversation";
        link.textContent = `Read conversation ${conversationId} under Conversation.`;
        stateLine.append(" ", link);
      }
    } else if (event.type === "incoming") {
      incoming = true;
      // Seen, heard by screen readers, and felt where the device can vibrate.
      if (navigator.vibrate) navigator.vibrate([400, 200, 400, 200, 400]);
    } else if (event.type === "provisional") {
      pane.setProvisional(event.text);
    } else if (event.type === "line") {
      revisions.final(event, event.speaker, event.speaker === "me");
    } else if (event.type === "revision") {
      revisions.revise(event);
    } else if (event.type === "note") {
      announce(event.text, stateLine);
    }
  };

  // Reads the call's events for as long as the view is shown or a call is in progress.
  const poll = async () => {
    if (polling) return;
    polling = true;
    let failures = 0;
    try {
      while (viewShown || ACTIVE.includes(callState)) {
        let snapshot;
        try {
          snapshot = await getJson(`/api/calls?after=${next}&wait_s=${POLL_WAIT_S}`);
        } catch (error) {
          if (failures === 0) announce(`Call updates stopped: ${error.message}. Trying again…`, stateLine, true);
          await new Promise((done) => setTimeout(done, RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]));
          failures += 1;
          continue;
        }
        if (snapshot.next < next) next = 0; // the server restarted: read from its start
        failures = 0;
        // A page opened between calls starts clean; one opened during a call catches up on it.
        const catchUp = !first || ACTIVE.includes(snapshot.state);
        first = false;
        const events = catchUp ? snapshot.events.filter((e) => e.seq > next) : [];
        if (!catchUp) next = snapshot.next;
        if (events.length) next = events[events.length - 1].seq;
        for (const event of events) handle(event);
        callState = snapshot.state;
        render(snapshot);
      }
    } finally {
      polling = false;
    }
  };

  const act = async (path, body, what) => {
    try {
      const snapshot = await postJson(path, body);
      render(snapshot);
      callState = snapshot.state;
      poll();
      return true;
    } catch (error) {
      announce(`${what}: ${error.message}`, stateLine, true);
      return false;
    }
  };

  $("call-dial-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const target = $("call-target").value.trim();
    if (!target) {
      announce("Type a SIP address (sip:name@example.com) or a number to call.", stateLine, true);
      $("call-target").focus();
      return;
    }
    clear();
    conversationId = null;
    await act("/api/calls/dial", { target, ...startOptions() }, "Could not call");
  });

  $("call-wait").addEventListener("click", async () => {
    clear();
    conversationId = null;
    const port = Number($("call-port").value || 5060);
    await act("/api/calls/listen", { port, ...startOptions() }, "Could not wait for calls");
  });

  $("call-system").addEventListener("click", async () => {
    clear();
    conversationId = null;
    await act("/api/calls/system", startOptions(), "Could not caption the other app");
  });

  $("call-answer").addEventListener("click", () => act("/api/calls/answer", undefined, "Could not answer"));
  $("call-decline").addEventListener("click", () => act("/api/calls/hangup", undefined, "Could not decline"));
  $("call-hangup").addEventListener("click", () => act("/api/calls/hangup", undefined, "Could not hang up"));

  const send = async (text) => {
    try {
      await postJson("/api/calls/type", { text });
      return true;
    } catch (error) {
      announce(`Not sent: ${error.message}`, stateLine, true);
      return false;
    }
  };

  enterSubmits($("call-reply"), $("call-reply-form"));
  $("call-reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("call-reply").value.trim();
    if (!text) return;
    // The text stays in the box until the server has it: a failure never erases it.
    if (await send(text)) $("call-reply").value = "";
  });

  const keypad = $("call-keypad");
  for (const key of KEYS) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = key;
    button.setAttribute("aria-label", `Press ${key === "*" ? "star" : key === "#" ? "hash" : key}`);
    button.disabled = true;
    button.addEventListener("click", () => send(key));
    keypad.append(button);
  }

  const loadPhrases = async () => {
    let phrases;
    try {
      phrases = await getJson("/api/phrases");
    } catch (_) {
      return; // the speak view says why phrases cannot be loaded
    }
    $("call-phrases").replaceChildren(...phrases.map((p) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "secondary";
      b.textContent = p.name;
      b.title = p.text;
      b.setAttribute("aria-label", `Say “${p.text}” into the call`);
      b.addEventListener("click", () => send(p.text));
      return b;
    }));
  };

  document.addEventListener("openhear:view", (event) => {
    viewShown = event.detail === "calls";
    if (viewShown) {
      loadPhrases();
      poll();
    }
  });
}
