#!/bin/sh
# Every GPU figure in one run (bench/gpu.py); JSON and markdown under $OUT when it is set.
cd "$(dirname "$0")/.." || exit 1
if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
exec "$PYTHON" bench/gpu.py "$@"
