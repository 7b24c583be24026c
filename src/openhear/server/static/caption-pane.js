// A scrolling caption area: final lines appended, one provisional line replaced in place,
// auto-scroll that stops while the reader scrolls back, and a "jump to newest" button.
import { pageSettings } from "./api.js";
import { continuesSentence, dropInventedStop } from "./sentences.js";

// A line ends at a sentence end: one of the server's marks (asr.events.SENTENCE_END_MARKS), maybe
// followed by a closing quote or bracket. Until the marks arrive, lines only end with the speaker.
let sentenceEnd = null;
const escapeClass = (marks) => marks.replace(/[\\\]^-]/g, "\\$&");
pageSettings()
  .then(({ sentence_end_marks: marks }) => { sentenceEnd = new RegExp(`[${escapeClass(marks)}]["')\\]]?$`); })
  .catch(() => {});
const endsSentence = (text) => sentenceEnd !== null && sentenceEnd.test(text.trim());

export class CaptionPane {
  constructor(box, list, provisional, jumpButton, lineTag = "p") {
    Object.assign(this, { box, list, provisional, jumpButton, lineTag });
    this.following = true;
    box.addEventListener("scroll", () => {
      this.following = box.scrollHeight - box.scrollTop - box.clientHeight < 8;
      if (this.following && jumpButton) jumpButton.hidden = true;
    });
    if (jumpButton) jumpButton.addEventListener("click", () => this.jump());
  }

  setProvisional(text) {
    this.provisional.textContent = text;
    this.changed();
  }

  // Adds final text: it continues the last line until a sentence ends or the speaker changes.
  // A full stop the new text shows to be invented (it goes on in lower case) is taken back.
  // `speaker` ("them" or "me") labels conversation lines.
  // Returns the line element the text went into.
  append(text, speaker = null, ownLine = false) {
    const last = this.list.lastElementChild;
    if (!ownLine && last && !last.dataset.ownLine && last.dataset.speaker === String(speaker) && this.continues(last, text)) {
      last.append(document.createTextNode(` ${text}`));
      if (!speaker || speaker === "them") this.provisional.textContent = "";
      this.changed();
      return last;
    }
    const line = document.createElement(this.lineTag);
    line.dataset.speaker = String(speaker);
    if (ownLine) line.dataset.ownLine = "true";
    if (speaker) {
      line.className = speaker;
      const who = document.createElement("span");
      who.className = "speaker";
      who.textContent = speaker === "me" ? "Me:" : "Them:";
      line.append(who, document.createTextNode(text));
    } else {
      line.textContent = text;
    }
    this.list.append(line);
    if (!speaker || speaker === "them") this.provisional.textContent = "";
    this.changed();
    return line;
  }

  // Whether `text` goes on in the `line`; drops the line's invented full stop when it does.
  continues(line, text) {
    if (!endsSentence(line.textContent)) return true;
    const tail = line.lastChild;
    if (!continuesSentence(text) || !tail || tail.nodeType !== Node.TEXT_NODE) return false;
    const kept = dropInventedStop(tail.data);
    if (kept === tail.data.trimEnd()) return false;
    tail.data = kept;
    return true;
  }

  clear() {
    this.list.replaceChildren();
    this.provisional.textContent = "";
    this.following = true;
    if (this.jumpButton) this.jumpButton.hidden = true;
  }

  changed() {
    if (this.following) {
      this.box.scrollTop = this.box.scrollHeight;
    } else if (this.jumpButton) {
      this.jumpButton.hidden = false;
    }
  }

  jump() {
    this.following = true;
    this.box.scrollTop = this.box.scrollHeight;
    if (this.jumpButton) this.jumpButton.hidden = true;
    this.box.focus();
  }
}
