#!/usr/bin/env bash
# README command 1: set up, then train and evaluate the quickstart long-tailed job on CPU:
# DBM-BS with ResNet-32 on Fashion-MNIST-LT (IF 500, real data from Debian's dataset-fashion-mnist
# package). CONFIG=configs/quickstart/ce_resnet32_1xb64_fashion-mnist-lt-if500.py runs the CE baseline.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY=${PYTHON:-python3}
bash tools/setup_env.sh
bash tools/install_fashion_mnist.sh
CONFIG=${CONFIG:-configs/quickstart/dbm-bs_resnet32_1xb64_fashion-mnist-lt-if500.py}
"$PY" tools/train.py "$CONFIG" --work-dir work_dirs/quickstart "$@"
