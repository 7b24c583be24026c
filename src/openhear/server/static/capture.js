// The browser microphone as a caption session: getUserMedia -> AudioWorklet (native rate) ->
// 16-bit PCM over a WebSocket after a JSON start message. Caption events come back as JSON.
import { socketUrl } from "./api.js";

export class CaptionStream {
  // handlers: { onEvent(event), onClose(reason, isError) }
  constructor(handlers) {
    this.handlers = handlers;
    this.paused = false;
  }

  // In a conversation the server's echo gate keeps our own spoken replies out of the stored captions;
  // the browser's echo canceller helps while the other person talks over a reply.
  async start(conversationId = null) {
    const inConversation = conversationId !== null;
    this.media = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: inConversation, noiseSuppression: false, autoGainControl: false },
    });
    this.context = new AudioContext();
    await this.context.audioWorklet.addModule("/static/capture-worklet.js");
    this.socket = new WebSocket(socketUrl("/ws/captions"));
    this.socket.binaryType = "arraybuffer";
    this.closedByUs = false;
    await new Promise((resolve, reject) => {
      this.socket.onopen = resolve;
      this.socket.onerror = () => reject(new Error("could not connect to the caption service"));
    });
    this.socket.onmessage = (m) => this.receive(JSON.parse(m.data));
    this.socket.onclose = () => this.closed();
    const start = { type: "start", sample_rate: this.context.sampleRate };
    if (conversationId !== null) start.conversation_id = conversationId;
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

  closed() {
    this.release();
    this.handlers.onClose(this.lastProblem || null, !this.closedByUs && Boolean(this.lastProblem));
  }
}
