// The conversation view: the other person's speech captioned ("them"), my typed replies spoken
// ("me"), one transcript stored by the server; past conversations listed, reopened, exported, deleted.
import { announce, del, download, getJson, pageSettings, postJson, request } from "./api.js";
import { chosenLanguage } from "./caption-language.js";
import { CaptionPane } from "./caption-pane.js";
import { CaptionRevisions } from "./caption-revisions.js";
import { CaptionStream } from "./capture.js";
import { speak } from "./speech.js";
import { countCharacters, enterSubmits } from "./speak-view.js";
import { Reconnector } from "./connection.js";

const $ = (id) => document.getElementById(id);

export function setupConversation() {
  const pane = new CaptionPane($("conv-box"), $("conv-transcript"), $("conv-provisional"), null, "li");
  const revisions = new CaptionRevisions(pane);
  const state = $("conv-state");
  const startButton = $("conv-start");
  const endButton = $("conv-end");
  let current = null;
  let stream = null;
  // The notice's default text is the library's (GET /api/settings), not written in the page.
  pageSettings().then((settings) => {
    if (!$("conv-notice").value) $("conv-notice").value = settings.disclosure;
  }).catch(() => {});

  const LOST = {
    server: "The connection to the openhear server was lost: the other person is not being captioned.",
    microphone: "The microphone stopped or was unplugged: the other person is not being captioned.",
  };

  const openStream = async (id) => {
    const mine = new CaptionStream({
      onEvent: (event) => {
        if (event.type === "provisional") pane.setProvisional(event.text);
        else if (event.type === "final" && event.text) revisions.final(event, "them");
        else if (event.type === "revision") revisions.revise(event);
      },
      onClose: (reason, isError) => {
        if (stream !== mine) return;
        stream = null;
        if (isError) announce(`Listening stopped: ${reason}`, state, true);
      },
      onLost: (what) => {
        if (stream !== mine) return;
        pane.box.dataset.listening = "false";
        pane.setProvisional("");
        state.textContent = LOST[what];
        state.classList.add("error");
        reconnector.lost(LOST[what]);
      },
    });
    stream = mine;
    try {
      await mine.start(id, chosenLanguage());
    } catch (error) {
      mine.release();
      throw error;
    }
    pane.box.dataset.listening = "true";
  };

  const reconnector = new Reconnector("conversation", "the other person is captioned", async () => {
    await openStream(current);
    announce(`Listening again: conversation ${current} continues.`, state);
  });

  const listen = async (id) => {
    try {
      await openStream(id);
    } catch (error) {
      stream = null;
      announce(`Could not listen (${error.message}); typed replies still work.`, state, true);
    }
  };

  const end = () => {
    reconnector.cancel();
    pane.box.dataset.listening = "false";
    if (stream) stream.stop();
    stream = null;
    current = null;
    endButton.disabled = true;
    startButton.disabled = false;
  };

  // The server removes my reply's echo from the captions (echo cancellation); with "mute" it
  // silences the caption input while a reply plays instead: then say so, and leave a marker where
  // the other person's words could be missing.
  let echoMode = "cancel";
  let echoTailMs = 0; // how long the server keeps captions silenced after a reply (it says)
  let pauses = 0;
  const pausedWhilePlaying = () => {
    if (!stream || echoMode !== "mute") return () => {};
    pauses += 1;
    $("conv-paused").hidden = false;
    return () => setTimeout(() => {
      pauses -= 1;
      $("conv-paused").hidden = pauses === 0;
      const marker = pane.append("[not captioned: reply playing]", "gap", true);
      marker.className = "gap";
      marker.replaceChildren("[not captioned: reply playing]");
    }, echoTailMs);
  };

  // Speaks my reply into the conversation; a reply the server never got stays in the transcript,
  // marked "not sent", with a Retry button.
  const sendReply = async (text, line, id) => {
    line.classList.remove("not-sent");
    for (const mark of line.querySelectorAll(".not-sent-mark")) mark.remove();
    try {
      await speak(text, Number($("speak-speed").value), id, () => pausedWhilePlaying());
      refreshList();
    } catch (error) {
      const unsent = error.unsent || text;
      line.classList.add("not-sent");
      const mark = document.createElement("span");
      mark.className = "not-sent-mark";
      mark.textContent = " (not sent)";
      const retry = document.createElement("button");
      retry.type = "button";
      retry.className = "secondary not-sent-mark";
      retry.textContent = "Retry";
      retry.setAttribute("aria-label", `Retry sending: ${unsent}`);
      retry.addEventListener("click", () => sendReply(unsent, line, id));
      line.append(mark, " ", retry);
      announce(`Your reply was not sent: ${error.message}. It is marked “not sent” in the transcript; press Retry to send it.`, state, true);
    }
  };

  startButton.addEventListener("click", async () => {
    end();
    pane.clear();
    revisions.clear();
    try {
      const started = await postJson("/api/conversations", {
        disclosure: $("conv-disclosure").checked,
        notice: $("conv-notice").value,
        echo: $("conv-mute").checked ? "mute" : "cancel",
      });
      current = started.conversation.id;
      echoMode = started.echo;
      echoTailMs = started.echo_tail_ms;
      startButton.disabled = true;
      endButton.disabled = false;
      announce(`Conversation ${current} started.`, state);
      await listen(current);
      if (started.notice) sendReply(started.notice, pane.append(started.notice, "me", true), current);
      refreshList();
    } catch (error) {
      announce(`Could not start the conversation: ${error.message}`, state, true);
    }
  });

  endButton.addEventListener("click", () => {
    const id = current;
    end();
    announce(`Conversation ${id} ended and saved.`, state);
    refreshList();
    startButton.focus();
  });

  enterSubmits($("reply-text"), $("reply-form"));
  const tooLong = countCharacters($("reply-text"), $("reply-count"));
  $("reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("reply-text").value.trim();
    if (!text) return;
    if (current === null) {
      announce("Start or open a conversation first, then type your reply.", state, true);
      return;
    }
    const problem = tooLong();
    if (problem) {
      announce(problem, state, true);
      return;
    }
    $("reply-text").value = "";
    $("reply-text").dispatchEvent(new Event("input"));
    await sendReply(text, pane.append(text, "me", true), current);
  });

  const open = async (id) => {
    end();
    const transcript = await getJson(`/api/conversations/${id}`);
    pane.clear();
    revisions.clear();
    for (const entry of transcript.entries) pane.append(entry.text, entry.speaker);
    current = id;
    endButton.disabled = false;
    announce(`Conversation ${id} reopened: ${transcript.entries.length} lines. Replies you type are added to it.`, state);
  };

  const button = (label, accessibleName, onClick, className = "secondary") => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = className;
    b.textContent = label;
    b.setAttribute("aria-label", accessibleName);
    b.addEventListener("click", onClick);
    return b;
  };

  const list = $("conv-list");
  const chosenFormats = new Map(); // conversation id -> export format: kept when the list is redrawn
  async function refreshList() {
    let conversations;
    try {
      conversations = await getJson("/api/conversations");
    } catch (error) {
      announce(`Could not list conversations: ${error.message}`, state, true);
      return;
    }
    list.replaceChildren(...conversations.map((c) => {
      const item = document.createElement("li");
      const label = document.createElement("span");
      const when = new Date(c.started_at).toLocaleString();
      const name = `Conversation ${c.id}${c.title ? ` (${c.title})` : ""}`;
      label.textContent = `${name}, ${when}, ${c.entries} lines`;
      const format = document.createElement("select");
      format.setAttribute("aria-label", `Export format for conversation ${c.id}`);
      for (const f of ["txt", "srt", "vtt", "json"]) format.append(new Option(f, f));
      format.value = chosenFormats.get(c.id) ?? "txt";
      format.addEventListener("change", () => chosenFormats.set(c.id, format.value));
      let confirming = false;
      const remove = button("Delete", `Delete conversation ${c.id}`, async () => {
        if (!confirming) {
          confirming = true;
          remove.textContent = "Press again to delete";
          announce(`Press Delete again to delete conversation ${c.id} for good.`, state);
          return;
        }
        if (current === c.id) end();
        await del(`/api/conversations/${c.id}`);
        announce(`Conversation ${c.id} deleted.`, state);
        await refreshList();
        startButton.focus();
      }, "danger");
      item.append(
        label,
        button("Open", `Open conversation ${c.id}`, () => open(c.id).catch((e) => announce(e.message, state, true))),
        format,
        button("Export", `Export conversation ${c.id}`, async () => {
          const r = await request("GET", `/api/conversations/${c.id}/export?format=${format.value}`);
          download(await r.blob(), `conversation-${c.id}.${format.value}`);
        }),
        remove,
      );
      return item;
    }));
    if (!conversations.length) {
      const empty = document.createElement("li");
      empty.textContent = "No saved conversations yet.";
      list.append(empty);
    }
  }
  refreshList();
  // A call saved by the calls view (or another page) shows up when the view is opened.
  document.addEventListener("openhear:view", (event) => { if (event.detail === "conversation") refreshList(); });
  // The speak view's text joins the open conversation too.
  return { current: () => current, said: (text) => pane.append(text, "me") };
}
