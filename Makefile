# The set-up commands of the README: each installs what it needs, then runs.
.PHONY: demo captions-demo test lint typecheck setup-test
SAMPLE := src/openhear/samples/speech_librispeech_2412-153948-0000.wav
LINT_PATHS := src tests bench scripts

demo:
	bash scripts/setup.sh
	.venv/bin/openhear serve

captions-demo:
	bash scripts/setup.sh
	.venv/bin/openhear caption $(SAMPLE)

# Set-up runs once per `make` call, however many of these targets it names.
setup-test:
	bash scripts/setup.sh --test

# The real-time tests and the offline ones side by side (scripts/test.sh says how).
test: setup-test
	bash scripts/test.sh

# Style and lint (ruff, pyproject's [tool.ruff]); `ruff format LINT_PATHS` fixes the layout.
lint: setup-test
	.venv/bin/ruff check $(LINT_PATHS)
	.venv/bin/ruff format --check $(LINT_PATHS)

# Types of the library (mypy, pyproject's [tool.mypy]).
typecheck: setup-test
	.venv/bin/mypy
