#!/usr/bin/env bash
# Install the real Fashion-MNIST (Debian package dataset-fashion-mnist) and prepare it into
# data/fashion-mnist, the layout of configs/_base_/datasets/fashion_mnist_lt.py. Nothing is
# downloaded from the dataset's site; apt needs a package mirror. Safe to re-run.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY=${PYTHON:-python3}
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get install -y dataset-fashion-mnist || { $SUDO apt-get update && $SUDO apt-get install -y dataset-fashion-mnist; }
fi
"$PY" "$ROOT/tools/dataset_converters/prepare_fashion_mnist.py" --dst "$ROOT/data/fashion-mnist"
