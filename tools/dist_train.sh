#!/usr/bin/env bash
# Multi-GPU (or multi-process CPU) training with torchrun, like MMPretrain's dist_train.sh:
#   bash tools/dist_train.sh CONFIG GPUS [train.py options...]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT environment variables.
set -e
CONFIG=$1
GPUS=$2
if [ -z "$CONFIG" ] || [ -z "$GPUS" ]; then
    echo "usage: bash $0 CONFIG GPUS [train.py options...]" >&2
    exit 2
fi
exec bash "$(dirname "$0")/_dist_run.sh" train.py "$GPUS" "$CONFIG" --launcher pytorch "${@:3}"
