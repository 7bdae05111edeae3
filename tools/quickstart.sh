#!/usr/bin/env bash
# README command 1: set up, then train and evaluate the quickstart long-tailed job on CPU:
# DBM-BS with ResNet-32 on Fashion-MNIST-LT (IF 500, real data from Debian's dataset-fashion-mnist
# package). CONFIG=configs/quickstart/ce_resnet32_1xb64_fashion-mnist-lt-if500.py runs the CE baseline.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY=${PYTHON:-python3}
bash tools/setup_env.sh
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get install -y dataset-fashion-mnist || { $SUDO apt-get update && $SUDO apt-get install -y dataset-fashion-mnist; }
fi
"$PY" tools/dataset_converters/prepare_fashion_mnist.py --dst data/fashion-mnist
CONFIG=${CONFIG:-configs/quickstart/dbm-bs_resnet32_1xb64_fashion-mnist-lt-if500.py}
"$PY" tools/train.py "$CONFIG" --work-dir work_dirs/quickstart "$@"
