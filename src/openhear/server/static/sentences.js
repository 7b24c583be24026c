// A pause is not a sentence end: the rule of openhear/asr/sentences.py, for the caption pane.
// Whisper ends every fragment it decodes with a full stop; when the next fragment starts in lower
// case, the speaker's sentence went on and that stop was invented. Keep the two files alike
// (what ends a sentence comes from the server: caption-pane.js).

const INVENTED = /(?<=[^\W\d_])(?:\.\.\.|\u2026|\.)$/u;
const ABBREVIATION = /(?:^|\W)(?:(?:[A-Za-z]\.)+[A-Za-z]?\.?|(?:mr|mrs|ms|dr|st|vs|etc)\.)$/i;

// Whether `text` goes on with a sentence begun before it: its first letter is lower case.
export function continuesSentence(text) {
  for (const ch of text.trimStart()) {
    if (/\p{L}/u.test(ch)) return ch === ch.toLowerCase() && ch !== ch.toUpperCase();
    if (/\d/.test(ch)) return false;
  }
  return false;
}

// `text` without a trailing full stop or ellipsis that the next fragment showed to be invented.
export function dropInventedStop(text) {
  const trimmed = text.trimEnd();
  if (ABBREVIATION.test(trimmed)) return text;
  return trimmed.replace(INVENTED, "");
}
