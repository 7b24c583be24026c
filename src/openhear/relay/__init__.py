"""The conversation relay: sessions joining captions and spoken replies, and
their stored transcripts."""
