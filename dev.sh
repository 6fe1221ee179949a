#!/usr/bin/env bash
# Cratedigger's set-up: `bash dev.sh serve` (dashboard on the demo crate) or `bash dev.sh test`.
# Both install what is missing first: system packages (ffmpeg, chromium, chromium-driver) through
# apt-get when run as root, a virtual environment in .venv with the locked Python packages.
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '\033[1m[cratedigger]\033[0m %s\n' "$*"; }

need_system_packages() {
    local missing=()
    command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
    command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
    [ -d /usr/share/fonts/truetype/noto ] || missing+=(fonts-noto-color-emoji)
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        say "installing system packages with apt-get: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        say "installed: ${missing[*]}"
    else
        say "missing system packages: ${missing[*]}"
        say "install them yourself, e.g. 'sudo apt-get install ${missing[*]}' (Debian/Ubuntu) or 'brew install ffmpeg chromium chromedriver';"
        say "without ffmpeg, audio analysis is off; without chromium + chromedriver, browser crawls and browser tests are skipped."
    fi
}

ensure_venv() {
    local python=${PYTHON:-python3}
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        say "Cratedigger needs Python 3.11 or newer; '$python' is $("$python" --version 2>&1). Set PYTHON=/path/to/python3.11."
        exit 2
    fi
    if [ ! -x .venv/bin/python ]; then
        say "creating the virtual environment in .venv"
        "$python" -m venv .venv
    fi
    local stamp=.venv/.requirements.lock.sha256
    local want
    # The stamp covers the lock file and the musicnn pin, so changing either reinstalls.
    want=$( (cat requirements.lock; echo "$MUSICNN") | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        say "installing the locked Python packages (requirements.lock; a few minutes the first time)"
        .venv/bin/python -m pip install --quiet --upgrade pip
        .venv/bin/python -m pip install --quiet -r requirements.lock
        # The pretrained sound front end's checkpoints ship inside this wheel (11 MB; ISC licence). Its
        # declared dependencies pin numpy<1.17, and only its checkpoint files are used: no dependencies.
        say "installing $MUSICNN (pretrained sound front end) without its dependencies"
        .venv/bin/python -m pip install --quiet --no-deps "$MUSICNN"
        echo "$want" > "$stamp"
        say "Python packages installed"
    fi
}

MUSICNN="musicnn==0.1.0"

export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.cache/numba}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export SE_AVOID_STATS=true

case "${1:-}" in
    serve)
        need_system_packages
        ensure_venv
        .venv/bin/python cli.py demo --if-missing
        .venv/bin/python cli.py train-als --if-missing --publish
        say "demo audio and the sound model: built once (a few minutes the first time), then reused"
        .venv/bin/python cli.py demo-audio --if-missing \
            || say "the sound model could not be built (see above); the dashboard still answers from DJ sets"
        say "serving the dashboard at http://127.0.0.1:${CRATEDIGGER_PORT:-8050} (Ctrl+C stops it)"
        exec .venv/bin/python app.py
        ;;
    test)
        need_system_packages
        ensure_venv
        shift
        exec .venv/bin/python -m pytest -q "$@"
        ;;
    *)
        echo "usage: bash dev.sh serve   # install, build the demo crate if missing, serve the dashboard"
        echo "       bash dev.sh test    # install, run the whole test suite"
        exit 2
        ;;
esac
