"""Text to speech: the synthesizer protocol, Piper backend, lazy sentence
streaming, saved phrases."""
