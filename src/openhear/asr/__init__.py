"""Speech recognition: VAD, the Whisper backend, the streaming captioner and its caption events."""
