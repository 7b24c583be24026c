// Plays synthetic speech from the server in the page, one reply after another.
import { request } from "./api.js";

let context = null;
let queue = Promise.resolve();

function rms(buffer) {
  const data = buffer.getChannelData(0);
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i] * data[i];
  return Math.sqrt(sum / Math.max(1, data.length));
}

// Speaks `text`; in a conversation (`conversationId`) the server stores it as my reply.
// Resolves with {duration_s, rms} of the audio played, once it has finished playing.
export function speak(text, speed = 1, conversationId = null) {
  context = context || new AudioContext();
  const body = { text, speed };
  if (conversationId !== null) body.conversation_id = conversationId;
  const fetched = request("POST", "/api/speak", body).then((r) => r.arrayBuffer());
  const played = queue.then(async () => {
    const buffer = await context.decodeAudioData(await fetched);
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(context.destination);
    const level = rms(buffer);
    // What the page played, for anyone checking that speech really came out (the browser tests).
    document.body.dataset.lastSpeechRms = level.toFixed(4);
    document.body.dataset.lastSpeechSeconds = buffer.duration.toFixed(2);
    document.body.dataset.speechPlayed = String(Number(document.body.dataset.speechPlayed || 0) + 1);
    await new Promise((resolve) => {
      source.onended = resolve;
      source.start();
    });
    return { duration_s: buffer.duration, rms: level };
  });
  queue = played.catch(() => {});
  return played;
}
