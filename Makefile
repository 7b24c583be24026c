# The set-up commands of the README: each installs what it needs, then runs.
.PHONY: demo captions-demo test
SAMPLE := src/openhear/samples/speech_librispeech_2412-153948-0000.wav

demo:
	bash scripts/setup.sh
	.venv/bin/openhear serve

captions-demo:
	bash scripts/setup.sh
	.venv/bin/openhear caption $(SAMPLE)

test:
	bash scripts/setup.sh --test
	.venv/bin/python -m pytest -q
