#!/usr/bin/env bash
# srun behind tools/slurm_train.sh and tools/slurm_test.sh (MMPretrain's Slurm settings):
#   bash tools/_slurm_run.sh PARTITION JOB_NAME SCRIPT [SCRIPT arguments...]
# runs tools/SCRIPT in GPUS tasks, GPUS_PER_NODE per node, CPUS_PER_TASK cores each; SRUN_ARGS
# are passed to srun.
set -x
PARTITION=$1
JOB_NAME=$2
SCRIPT=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

PYTHONPATH="$ROOT":$PYTHONPATH \
srun -p ${PARTITION} \
    --job-name=${JOB_NAME} \
    --gres=gpu:${GPUS_PER_NODE} \
    --ntasks=${GPUS} \
    --ntasks-per-node=${GPUS_PER_NODE} \
    --cpus-per-task=${CPUS_PER_TASK} \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    python -u "$ROOT/tools/$SCRIPT" "${@:4}"
