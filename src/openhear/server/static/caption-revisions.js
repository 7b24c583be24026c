// Revisions of live captions (the second pass, see docs/CAPTIONS.md): every "final" event carries
// the number of its utterance; a "revision" event gives the whole utterance's corrected text,
// which replaces the text of all finals with that number, in place.
//
// Screen readers: the caption log announces additions only (aria-relevant="additions"), so the
// fast finals are read once as they come, and rewriting them in place (changing a text node,
// removing the others) is not read again. A revision that changes words is read once, in a
// live region of its own ("Corrected: ..."); one that only fixes punctuation or case is silent.
// The line keeps its place: no element is added or moved (a line the utterance's later finals had
// started, left empty by the merge, is removed), and the pane follows the newest line as before
// (or, when the reader has scrolled back, the browser's scroll anchoring holds the view).

const words = (text) => text.toLowerCase().replace(/[^\p{L}\p{N}' ]+/gu, " ").split(/\s+/).filter(Boolean).join(" ");

export class CaptionRevisions {
  // `pane` is a CaptionPane.
  constructor(pane) {
    this.pane = pane;
    this.nodes = new Map(); // utterance -> the text nodes its finals went into, in order
    const log = pane.list.closest("[aria-live]") || pane.list;
    log.setAttribute("aria-relevant", "additions");
    this.region = document.createElement("div");
    this.region.className = "visually-hidden";
    this.region.setAttribute("aria-live", "polite");
    this.region.dataset.role = "caption-corrections";
    pane.box.after(this.region);
  }

  // Shows a final (pane.append with the same arguments) and remembers where its text went.
  final(event, speaker = null, ownLine = false) {
    const line = this.pane.append(event.text, speaker, ownLine);
    const node = line.lastChild;
    if (event.utterance) {
      const nodes = this.nodes.get(event.utterance) || [];
      nodes.push(node);
      this.nodes.set(event.utterance, nodes);
      if (this.nodes.size > 64) this.nodes.delete(this.nodes.keys().next().value);
    }
    return line;
  }

  // Replaces the text of the utterance's finals with the revision's; returns whether it did.
  revise(event) {
    const nodes = (this.nodes.get(event.utterance) || []).filter((n) => n.isConnected);
    if (!nodes.length) return false;
    const before = nodes.map((n) => n.data).join(" ");
    const lead = nodes[0].data.match(/^\s*/)[0];
    nodes[0].data = lead + event.text;
    const lines = new Set(nodes.map((n) => n.parentNode).filter(Boolean));
    for (const node of nodes.slice(1)) node.remove();
    this.nodes.set(event.utterance, [nodes[0]]);
    // A line the fast pass started at a full stop it invented ("Ask." | "Knock, ...") is merged
    // into the first: once it holds no text of its own it goes.
    for (const line of lines) {
      if (line === nodes[0].parentNode) line.dataset.revised = "true";
      else if (![...line.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.data.trim())) line.remove();
    }
    if (words(before) !== words(event.text)) {
      this.region.textContent = "";
      requestAnimationFrame(() => { this.region.textContent = `Corrected: ${event.text}`; });
    }
    this.pane.changed();
    return true;
  }

  clear() {
    this.nodes.clear();
    this.region.textContent = "";
  }
}

// The export cues with a revision applied: the utterance's cues become one cue, in the place of
// the first, with the revised text and times.
export function reviseCues(cues, event) {
  const first = cues.findIndex((c) => c.utterance === event.utterance);
  if (first < 0) return;
  const cue = { ...cues[first], text: event.text, start_s: event.start_s, end_s: event.end_s };
  for (let i = cues.length - 1; i > first; i--) if (cues[i].utterance === event.utterance) cues.splice(i, 1);
  cues[first] = cue;
}
