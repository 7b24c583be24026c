"""Real-time sessions on the sound card: the live amplifier and its typed command shell, the
hearing check's tone player and the session that times key presses against its tones.

This layer joins `audio` (the devices), `fitting` (the profile, the audiometry procedure) and
`dsp` (the chain, the tones); `audio` itself only moves samples."""
