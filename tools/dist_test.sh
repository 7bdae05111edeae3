#!/usr/bin/env bash
# Multi-GPU (or multi-process CPU) testing with torchrun, like MMPretrain's dist_test.sh:
#   bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py options...]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT environment variables.
set -e
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
if [ -z "$CONFIG" ] || [ -z "$GPUS" ] || [ -z "$CHECKPOINT" ]; then
    echo "usage: bash $0 CONFIG CHECKPOINT GPUS [test.py options...]" >&2
    exit 2
fi
exec bash "$(dirname "$0")/_dist_run.sh" test.py "$GPUS" "$CONFIG" "$CHECKPOINT" \
    --launcher pytorch "${@:4}"
