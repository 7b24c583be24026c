// The conversation view: the other person's speech captioned ("them"), my typed replies spoken
// ("me"), one transcript stored by the server; past conversations listed, reopened, exported, deleted.
import { announce, del, download, getJson, postJson, request } from "./api.js";
import { CaptionPane } from "./caption-pane.js";
import { CaptionStream } from "./capture.js";
import { speak } from "./speech.js";
import { enterSubmits } from "./speak-view.js";

const $ = (id) => document.getElementById(id);

export function setupConversation() {
  const pane = new CaptionPane($("conv-box"), $("conv-transcript"), $("conv-provisional"), null, "li");
  const state = $("conv-state");
  const startButton = $("conv-start");
  const endButton = $("conv-end");
  let current = null;
  let stream = null;

  const listen = async (id) => {
    const mine = new CaptionStream({
      onEvent: (event) => {
        if (event.type === "provisional") pane.setProvisional(event.text);
        else if (event.type === "final" && event.text) pane.append(event.text, "them");
      },
      onClose: (reason, isError) => {
        if (stream !== mine) return;
        stream = null;
        if (isError) announce(`Listening stopped: ${reason}`, state, true);
      },
    });
    stream = mine;
    try {
      await stream.start(id);
    } catch (error) {
      stream.release();
      stream = null;
      announce(`Could not listen (${error.message}); typed replies still work.`, state, true);
    }
  };

  const end = () => {
    if (stream) stream.stop();
    stream = null;
    current = null;
    endButton.disabled = true;
    startButton.disabled = false;
  };

  startButton.addEventListener("click", async () => {
    end();
    pane.clear();
    try {
      const started = await postJson("/api/conversations", { disclosure: $("conv-disclosure").checked });
      current = started.conversation.id;
      startButton.disabled = true;
      endButton.disabled = false;
      announce(`Conversation ${current} started.`, state);
      await listen(current);
      if (started.notice) {
        pane.append(started.notice, "me");
        await speak(started.notice, 1, current);
      }
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
  $("reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("reply-text").value.trim();
    if (!text) return;
    if (current === null) {
      announce("Start or open a conversation first, then type your reply.", state, true);
      return;
    }
    $("reply-text").value = "";
    pane.append(text, "me");
    try {
      await speak(text, Number($("speak-speed").value), current);
      refreshList();
    } catch (error) {
      announce(`Could not speak the reply: ${error.message}`, state, true);
    }
  });

  const open = async (id) => {
    end();
    const transcript = await getJson(`/api/conversations/${id}`);
    pane.clear();
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
  // The speak view's text joins the open conversation too.
  return { current: () => current, said: (text) => pane.append(text, "me") };
}
