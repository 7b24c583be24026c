"""Sound alerts: smoke, fire and CO alarms, sirens, the doorbell, knocking, a baby, a dog, water,
appliances, a phone, shouting, glass breaking, and the person's name in live captions.

- `events`: SoundEvent (a detector's finding) and Alert (what the person is told).
- `sounds`: the table of sounds (AudioSet classes, thresholds, persistence, repeat gap, priority).
- `yamnet`, `classifier`: the YAMNet path; `patterns`: the T3/T4 alarm-pattern path (DSP).
- `policy`: AlertPolicy, evidence to alerts; `detector`: SoundAlertDetector, blocks to alerts.
- `words`: WordSpotter, caption events to `name` alerts.
"""
