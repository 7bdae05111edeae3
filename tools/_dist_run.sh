#!/usr/bin/env bash
# torchrun behind tools/dist_train.sh and tools/dist_test.sh (MMPretrain's launcher settings):
#   bash tools/_dist_run.sh SCRIPT NPROC [SCRIPT arguments...]
# runs tools/SCRIPT in NPROC processes per node. Multi-node: NNODES, NODE_RANK, MASTER_ADDR and
# PORT environment variables.
set -e
SCRIPT=$1
NPROC=$2
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHONPATH="$ROOT":$PYTHONPATH \
python -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --nproc_per_node="$NPROC" \
    --master_port="${PORT:-29500}" \
    "$ROOT/tools/$SCRIPT" \
    "${@:3}"
