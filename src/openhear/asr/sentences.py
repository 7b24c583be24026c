"""Sentences from caption fragments: a pause is not a sentence end.

Whisper decodes each stretch of audio as if it were complete, so a fragment committed at a pause
ends with a full stop (or "...") whether or not the speaker's sentence ended there: "Ask not what
your country." + "can do for you." The next fragment tells: Whisper starts a real new sentence
with a capital letter, and a continuation in lower case. So a full stop followed by a lower-case
word was invented, and it goes; a full stop followed by a capital stays (Whisper's own judgement,
with the previous text as its prompt). A question or exclamation mark always stays.

The same rule runs in the console captions (`openhear caption`, and the conversation lines of
`openhear converse` and `openhear call`), the cue builder (every export) and, in JavaScript,
the web page's caption pane (`static/sentences.js`; keep them alike). What ends a sentence is
`asr.events.ends_sentence`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from openhear.asr.events import Word, ends_sentence

_INVENTED = re.compile(r"(?<=[^\W\d_])(?:\.\.\.|\u2026|\.)$")
"""A trailing full stop or ellipsis right after a letter (not "e.g.", "1.5." or "Mr. X")."""
_ABBREVIATION = re.compile(
    r"(?:^|\W)(?:[A-Za-z]\.)+[A-Za-z]?\.?$|(?:^|\W)(?:mr|mrs|ms|dr|st|vs|etc)\.$", re.IGNORECASE
)


def continues_sentence(text: str) -> bool:
    """Whether `text` goes on with a sentence begun before it: its first letter is lower case
    (punctuation and quotes before it do not count; a digit first decides nothing: False)."""
    for ch in text.lstrip():
        if ch.isalpha():
            return ch.islower()
        if ch.isdigit():
            return False
    return False


def drop_invented_stop(text: str) -> str:
    """`text` without a trailing full stop or ellipsis that the next fragment showed to be
    invented (abbreviations such as "e.g." keep theirs)."""
    stripped = text.rstrip()
    if _ABBREVIATION.search(stripped):
        return text
    return _INVENTED.sub("", stripped)


def goes_on(line: str, text: str) -> bool:
    """Whether `text`, shown after `line`, continues its sentence: the line does not end a
    sentence, or it ends with a full stop that `text` shows to be invented (then the stop goes:
    `drop_invented_stop`). A printer that holds such a stop back until the next text comes uses
    this to join the text to the line or to start a new one."""
    if not ends_sentence(line):
        return True
    return continues_sentence(text) and drop_invented_stop(line) != line.rstrip()


def joined(previous: str, following: str) -> str:
    """Two fragments as one text: a space between them, and the previous one's full stop dropped
    where the following one continues the sentence."""
    if not previous:
        return following
    if not following:
        return previous
    if continues_sentence(following):
        previous = drop_invented_stop(previous)
    return f"{previous.rstrip()} {following.lstrip()}"


def join_fragments(texts: Sequence[str]) -> str:
    """Fragments as one text (see `joined`)."""
    text = ""
    for t in texts:
        text = joined(text, t.strip())
    return text


def sentence_words(words: Sequence[Word]) -> list[Word]:
    """The words with the full stops a following lower-case word shows to be invented removed."""
    out = list(words)
    for i in range(len(out) - 1):
        w = out[i]
        if continues_sentence(out[i + 1].text):
            text = drop_invented_stop(w.text)
            if text != w.text.rstrip():
                out[i] = Word(text, w.start_s, w.end_s, w.probability)
    return out
