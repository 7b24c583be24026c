"""The conversation relay: sessions joining captions and spoken replies, and
their stored transcripts."""

ECHO_MODES = ("cancel", "mute")
"""How our own reply, heard back by the microphone, is kept out of the captions: 'cancel' subtracts
it (acoustic echo cancellation: captions keep running), 'mute' silences the caption input while it
plays (the fallback)."""
