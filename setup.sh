#!/bin/sh
# One command to install everything voiceskill needs and run it.
#   ./setup.sh          install (system packages too), then replay the demo conversation
#   ./setup.sh test     install, then run the whole test suite (what CI runs)
#   ./setup.sh bench    install, then run the benchmarks
set -eu
cd "$(dirname "$0")"
VENV="${VOICESKILL_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# System packages, installed only when missing (Debian / Raspberry Pi OS):
# espeak-ng speaks the replies (pyttsx3) and makes test audio, libportaudio2 opens
# the microphone (sounddevice), sox shapes audio fixtures, alsa-utils plays sound; for the tests
# and benchmarks only, postgresql: the tests start their own PostgreSQL server from its initdb and
# pg_ctl (voiceskill needs a server only with --db postgresql://..., and then on the database host),
# and chromium with chromium-driver: the desk's browser test drives a headless Chromium.
need=""
command -v "$PYTHON" >/dev/null 2>&1 || need="python3"
"$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1 || need="$need python3-venv python3-pip"
packages="espeak-ng libportaudio2 sox alsa-utils"
case "${1:-demo}" in test|bench) packages="$packages postgresql chromium chromium-driver" ;; esac
for pkg in $packages; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
done
if [ -n "$need" ]; then
    echo "Installing system packages:$need"
    $SUDO apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need
fi

# Python packages, in a virtual environment, reinstalled when setup.cfg changes.
if [ ! -f "$VENV/.installed" ] || [ setup.cfg -nt "$VENV/.installed" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[webhook,speech,test,bench,postgres,homeassistant]'
    touch "$VENV/.installed"
fi

case "${1:-demo}" in
    demo) exec "$VENV/bin/voiceskill" demo ;;
    test) exec "$VENV/bin/python" -m pytest ;;
    bench) "$VENV/bin/python" bench/turns.py
           "$VENV/bin/python" bench/webhook.py --rate 500
           "$VENV/bin/python" bench/webhook.py --rate 0 --turns 40 --json bench/results/webhook-ceiling.json
           "$VENV/bin/python" bench/asr.py
           "$VENV/bin/python" bench/ceiling.py
           "$VENV/bin/python" bench/abuse.py
           "$VENV/bin/python" bench/scale.py --webhook-seconds 20 ;;
    *) echo "usage: ./setup.sh [demo|test|bench]" >&2; exit 2 ;;
esac
