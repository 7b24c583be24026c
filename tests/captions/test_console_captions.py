"""The console printer: finals appended, the provisional line rewritten in
place only on a terminal."""

import io

from openhear.asr.events import FinalCaption, ProvisionalCaption
from openhear.captions.console import ConsoleCaptions

EVENTS = [
    ProvisionalCaption("for the two", 0.0, 0.5),
    FinalCaption("For the", 0.0, 0.6),
    ProvisionalCaption("twentieth time", 0.6, 1.2),
    FinalCaption("twentieth time.", 0.6, 1.3),
    ProvisionalCaption("", 1.3, 1.3),
]


def shown(interactive: bool) -> str:
    out = io.StringIO()
    console = ConsoleCaptions(out, interactive=interactive)
    for e in EVENTS:
        console.show(e)
    console.close()
    return out.getvalue()


def test_piped_output_is_only_the_final_text_a_line_per_sentence():
    assert shown(interactive=False) == "For the twentieth time.\n"


def test_on_a_terminal_the_provisional_text_is_rewritten_in_place():
    dim, plain, clear = "\033[2m", "\033[0m", "\r\033[K"
    assert shown(interactive=True) == (
        f"{clear}{dim}for the two{plain}{clear}For the{clear}For the {dim}twentieth time{plain}"
        f"{clear}For the twentieth time.{clear}For the twentieth time.{clear}"
        "For the twentieth time.\n"
    )


FRAGMENTS = ["Ask not.", "what your country.", "can do for you.", "And so?", "my fellow.", "Yes."]
"""Finals committed at pauses: Whisper ended each with a full stop the speaker never said."""


def test_a_pause_is_not_a_sentence_end_piped_or_on_a_terminal():
    out = io.StringIO()
    console = ConsoleCaptions(out, interactive=False)
    for text in FRAGMENTS[:3]:
        console.show(FinalCaption(text, 0.0, 1.0))
        assert not out.getvalue().endswith(".")  # the stop waits for the next fragment
    for text in FRAGMENTS[3:]:
        console.show(FinalCaption(text, 0.0, 1.0))
    console.close()
    assert out.getvalue() == (
        "Ask not what your country can do for you.\nAnd so?\nmy fellow.\nYes.\n"
    )
    out = io.StringIO()
    console = ConsoleCaptions(out, interactive=True)
    for text in FRAGMENTS[:3]:
        console.show(FinalCaption(text, 0.0, 1.0))
    assert out.getvalue().endswith(
        "\rAsk not what your country can do for you.".replace("\r", "\r\033[K")
    )
    assert "\n" not in out.getvalue()


def test_timed_lines_for_realtime_runs():
    out = io.StringIO()
    console = ConsoleCaptions(out, interactive=False, timestamps=True)
    console.show(EVENTS[0], emitted_s=0.84)
    console.show(EVENTS[1], emitted_s=1.2)
    assert (
        out.getvalue()
        == "[0.840s] provisional 0.00-0.50 for the two\n[1.200s] final 0.00-0.60 For the\n"
    )
