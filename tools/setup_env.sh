#!/usr/bin/env bash
# Install mmltr and the exact stack CI uses (requirements/ci.txt) into the current Python.
# torch/torchvision are a matched CUDA pair that also runs on CPU-only machines (~3 GB, cached by
# pip). Safe to re-run: already-satisfied packages are skipped.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY=${PYTHON:-python3}
"$PY" -m pip install --retries 10 -r "$ROOT/requirements/ci.txt"
"$PY" -m pip install --no-deps --no-build-isolation -e "$ROOT"
