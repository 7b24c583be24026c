// Plays synthetic speech from the server in the page: a queue the user can see, Stop and Skip,
// and long text asked for a few sentences at a time, so the first sentence plays while the rest
// is made. Each answer is played as its bytes arrive: a whole WAV (today's /api/speak) and a WAV
// streamed in pieces (or several WAVs back to back) both work.
import { request } from "./api.js";

export const MAX_SPEAK_CHARS = 5000;
/** The most characters /api/speak takes in one request (the server's SpeakRequest.text). */
const PIECE_CHARS = 300;
/** Sentences are grouped into pieces of about this many characters, one request each. */
const FIRST_PIECE_CHARS = 120;
/** The first piece is kept short, so speech starts soon. */

// `text` cut at sentence ends (then at spaces) into pieces the server can say one by one.
export function pieces(text) {
  const sentences = text.match(/[^.!?…\n]+(?:[.!?…]+["')\]]*|\n+|$)/g) || [text];
  const out = [];
  let current = "";
  const limit = () => (out.length ? PIECE_CHARS : FIRST_PIECE_CHARS);
  const flush = () => {
    if (current.trim()) out.push(current.trim());
    current = "";
  };
  for (let sentence of sentences) {
    while (sentence.length > PIECE_CHARS) {
      let cut = sentence.lastIndexOf(" ", PIECE_CHARS);
      if (cut <= 0) cut = PIECE_CHARS;
      flush();
      current = sentence.slice(0, cut);
      flush();
      sentence = sentence.slice(cut);
    }
    if (current && current.length + sentence.length > limit()) flush();
    current += sentence;
  }
  flush();
  return out.length ? out : [text];
}

// 16-bit PCM WAV bytes as they arrive -> Float32 samples; null format means "not PCM 16".
class WavReader {
  constructor() {
    this.bytes = new Uint8Array(0);
    this.format = undefined; // { rate, channels } once read
    this.dataLeft = 0; // bytes of samples still to come in the current data chunk
  }

  push(chunk) {
    const joined = new Uint8Array(this.bytes.length + chunk.length);
    joined.set(this.bytes);
    joined.set(chunk, this.bytes.length);
    this.bytes = joined;
    const out = [];
    for (;;) {
      const view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length);
      const tag = (at) => String.fromCharCode(...this.bytes.subarray(at, at + 4));
      if (this.dataLeft > 0) {
        const frame = 2 * this.format.channels;
        const n = Math.min(this.dataLeft, this.bytes.length - (this.bytes.length % frame));
        if (n <= 0) return out;
        const samples = new Float32Array(n / frame);
        for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * frame, true) / 32768;
        out.push(samples);
        this.dataLeft -= n;
        this.bytes = this.bytes.subarray(n);
        continue;
      }
      if (this.bytes.length >= 12 && tag(0) === "RIFF") {
        this.bytes = this.bytes.subarray(12);
        continue;
      }
      if (this.bytes.length < 8) return out;
      const id = tag(0);
      const size = view.getUint32(4, true);
      if (id === "data") {
        if (!this.format) throw new Error("the speech answer has no format");
        // A streamed WAV cannot know its length: 0 or 0xFFFFFFFF mean "until the end".
        this.dataLeft = size === 0 || size === 0xffffffff ? Infinity : size;
        this.bytes = this.bytes.subarray(8);
        continue;
      }
      const whole = 8 + size + (size % 2);
      if (this.bytes.length < whole) return out;
      if (id === "fmt ") {
        const pcm16 = view.getUint16(8, true) === 1 && view.getUint16(22, true) === 16;
        if (!pcm16) {
          this.format = null;
          return out;
        }
        this.format = { channels: view.getUint16(10, true), rate: view.getUint32(12, true) };
      }
      this.bytes = this.bytes.subarray(whole);
    }
  }
}

class Speaker extends EventTarget {
  constructor() {
    super();
    this.items = []; // waiting: { text, speed, conversationId, resolve, reject }
    this.current = null;
    this.sources = new Set();
    this.context = null;
  }

  say(text, speed, conversationId, onPlay) {
    return new Promise((resolve, reject) => {
      this.items.push({ text, speed, conversationId, onPlay, resolve, reject });
      this.changed();
      if (!this.current) this.next();
    });
  }

  async next() {
    const item = this.items.shift();
    this.current = item || null;
    this.changed();
    if (!item) return;
    try {
      item.resolve(await this.play(item));
    } catch (error) {
      item.reject(error);
    } finally {
      if (item.played) item.played();
    }
    this.next();
  }

  // Plays one queued text; resolves { duration_s, rms, skipped }, or rejects with an error that
  // carries `unsent`: the part of the text the server never received.
  async play(item) {
    this.context = this.context || new AudioContext();
    const parts = pieces(item.text);
    const ask = (i) => {
      const body = { text: parts[i], speed: item.speed };
      if (item.conversationId !== null) body.conversation_id = item.conversationId;
      return request("POST", "/api/speak", body);
    };
    let sum = 0;
    let count = 0;
    let fetched = ask(0);
    for (let i = 0; i < parts.length && !item.skipped; i++) {
      let response;
      try {
        response = await fetched;
      } catch (error) {
        error.unsent = parts.slice(i).join(" ");
        error.sent = parts.slice(0, i).join(" ");
        throw error;
      }
      if (item.skipped) break;
      if (i + 1 < parts.length) {
        fetched = ask(i + 1);
        fetched.catch(() => {}); // handled when its turn comes
      }
      const heard = await this.stream(response, item);
      sum += heard.sum;
      count += heard.count;
      item.partsPlayed = i + 1;
    }
    const rms = Math.sqrt(sum / Math.max(1, count));
    const seconds = count / this.context.sampleRate;
    // What the page played, for anyone checking that speech really came out (the browser tests).
    document.body.dataset.lastSpeechRms = rms.toFixed(4);
    document.body.dataset.lastSpeechSeconds = seconds.toFixed(2);
    document.body.dataset.speechPlayed = String(Number(document.body.dataset.speechPlayed || 0) + 1);
    return { duration_s: seconds, rms, skipped: Boolean(item.skipped) };
  }

  // Schedules the answer's audio as it arrives; resolves once the last of it has played.
  async stream(response, item) {
    const context = this.context;
    if (context.state === "suspended") await context.resume();
    const reader = new WavReader();
    const raw = [];
    let at = context.currentTime + 0.05;
    let last = null;
    let sum = 0;
    let count = 0;
    const schedule = (samples, rate) => {
      if (item.skipped || !samples.length) return;
      const buffer = context.createBuffer(1, samples.length, rate);
      buffer.copyToChannel(samples, 0);
      const played = buffer.getChannelData(0);
      for (let i = 0; i < played.length; i++) sum += played[i] * played[i];
      count += Math.round((played.length * context.sampleRate) / rate);
      const source = context.createBufferSource();
      source.buffer = buffer;
      source.connect(context.destination);
      at = Math.max(at, context.currentTime + 0.02);
      source.start(at);
      at += buffer.duration;
      this.sources.add(source);
      source.onended = () => this.sources.delete(source);
      last = source;
      if (!item.started) {
        if (item.onPlay) item.played = item.onPlay();
        item.started = true; // for the browser tests: speech of this text has begun
        document.body.dataset.speechStarted = String(Number(document.body.dataset.speechStarted || 0) + 1);
      }
    };
    const body = response.body.getReader();
    for (;;) {
      const { done, value } = await body.read();
      if (done) break;
      if (item.skipped) {
        body.cancel();
        break;
      }
      raw.push(value);
      if (reader.format === null) continue;
      for (const samples of reader.push(value)) schedule(samples, reader.format.rate);
    }
    if (reader.format === null && !item.skipped) {
      // Not 16-bit PCM WAV: let the browser decode it whole.
      const whole = await new Blob(raw).arrayBuffer();
      const decoded = await context.decodeAudioData(whole);
      schedule(decoded.getChannelData(0), decoded.sampleRate);
    }
    if (last && !item.skipped) {
      const ending = last;
      await new Promise((resolve) => {
        item.interrupt = resolve;
        ending.addEventListener("ended", resolve);
      });
    }
    return { sum, count };
  }

  // Stops what is playing now and goes on with the next text in the queue.
  skip() {
    if (!this.current) return false;
    this.current.skipped = true;
    for (const source of this.sources) {
      try { source.stop(); } catch (_) { /* not started yet */ }
    }
    this.sources.clear();
    if (this.current.interrupt) this.current.interrupt();
    return true;
  }

  // Stops what is playing now and forgets everything waiting.
  stop() {
    const waiting = this.items.splice(0);
    for (const item of waiting) item.resolve({ duration_s: 0, rms: 0, skipped: true });
    const wasBusy = this.skip() || waiting.length > 0;
    this.changed();
    return wasBusy;
  }

  changed() {
    this.dispatchEvent(new Event("change"));
  }

  // What is speaking now and what waits, for the queue on the page.
  snapshot() {
    return { current: this.current ? this.current.text : null, waiting: this.items.map((i) => i.text) };
  }
}

export const speaker = new Speaker();

// Speaks `text` once everything before it has been said; in a conversation (`conversationId`)
// the server stores it as my reply. Resolves with {duration_s, rms, skipped} once played.
// `onPlay()`, when given, is called as its audio starts and returns what to call when it ends.
export function speak(text, speed = 1, conversationId = null, onPlay = null) {
  return speaker.say(text, speed, conversationId, onPlay);
}
