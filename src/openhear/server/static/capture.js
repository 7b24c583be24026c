// The browser microphone as a caption session: getUserMedia -> AudioWorklet (native rate) ->
// 16-bit PCM over a WebSocket after a JSON start message. Caption events come back as JSON.
import { alertWords } from "./alert-words.js";
import { UNREACHABLE, socketUrl } from "./api.js";
import { profanityMask } from "./caption-settings.js";
import { microphoneHelp } from "./connection.js";

export class MicrophoneError extends Error {}

export class CaptionStream {
  // handlers: { onEvent(event), onClose(reason, isError), onLost(what) } where onLost is called
  // with "server" or "microphone" when either goes away without anyone asking it to; `path` is
  // the socket (default the caption socket; "/ws/alerts" listens for sound alerts only).
  constructor(handlers, path = "/ws/captions") {
    this.path = path;
    this.handlers = handlers;
    this.paused = false;
  }

  // In a conversation the server's echo gate keeps our own spoken replies out of the stored captions;
  // the browser's echo canceller helps while the other person talks over a reply.
  // `language` (a code, or "auto"; null: the server's) is what the multilingual model hears.
  async start(conversationId = null, language = null) {
    const inConversation = conversationId !== null;
    if (!navigator.mediaDevices) throw new MicrophoneError(microphoneHelp(null));
    try {
      this.media = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: inConversation, noiseSuppression: false, autoGainControl: false },
      });
    } catch (error) {
      throw new MicrophoneError(microphoneHelp(error));
    }
    for (const track of this.media.getAudioTracks()) {
      track.addEventListener("ended", () => this.lose("microphone"));
    }
    this.context = new AudioContext();
    await this.context.audioWorklet.addModule("/static/capture-worklet.js");
    this.socket = new WebSocket(socketUrl(this.path));
    this.socket.binaryType = "arraybuffer";
    this.closedByUs = false;
    await new Promise((resolve, reject) => {
      this.socket.onopen = resolve;
      this.socket.onerror = () => {
        this.closedByUs = true; // a failed start is the caller's to handle, not a loss
        reject(new Error(UNREACHABLE));
      };
    });
    this.socket.onerror = null;
    this.socket.onmessage = (m) => this.receive(JSON.parse(m.data));
    this.socket.onclose = () => this.closed();
    const start = { type: "start", sample_rate: this.context.sampleRate };
    if (conversationId !== null) start.conversation_id = conversationId;
    // the browser's own canceller is on: the server need not wait to find the replies unheard
    const track = this.media.getAudioTracks()[0];
    if (conversationId !== null && track?.getSettings().echoCancellation === true) {
      start.echo_cancelled = true;
    }
    if (language !== null) start.language = language;
    if (profanityMask()) start.profanity_mask = profanityMask();
    if (this.path === "/ws/captions" && alertWords().length) start.alert_words = alertWords();
    this.socket.send(JSON.stringify(start));

    const source = this.context.createMediaStreamSource(this.media);
    this.node = new AudioWorkletNode(this.context, "pcm-capture");
    this.node.port.onmessage = (m) => {
      if (!this.paused && this.socket.readyState === WebSocket.OPEN) this.socket.send(m.data);
    };
    // The worklet must be pulled by the graph; a muted gain keeps it running without echo.
    const mute = this.context.createGain();
    mute.gain.value = 0;
    source.connect(this.node).connect(mute).connect(this.context.destination);
    this.sampleRate = this.context.sampleRate;
  }

  receive(event) {
    if (event.type === "busy" || event.type === "error") {
      this.lastProblem = event.message;
    }
    this.handlers.onEvent(event);
  }

  pause() {
    this.paused = true;
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: "flush" }));
  }

  resume() { this.paused = false; }

  stop() {
    this.closedByUs = true;
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: "stop" }));
    this.release();
  }

  release() {
    if (this.media) this.media.getTracks().forEach((t) => t.stop());
    if (this.context) this.context.close();
    this.media = null;
    this.context = null;
  }

  // The server or the microphone went away by itself: release everything and say which.
  lose(what) {
    if (this.closedByUs || this.lost) return;
    this.lost = true;
    this.closedByUs = true;
    if (this.socket) this.socket.close();
    this.release();
    if (this.handlers.onLost) this.handlers.onLost(what);
  }

  closed() {
    if (!this.closedByUs && !this.lastProblem) {
      this.lose("server");
      return;
    }
    if (this.lost) return;
    this.release();
    this.handlers.onClose(this.lastProblem || null, !this.closedByUs && Boolean(this.lastProblem));
  }
}
