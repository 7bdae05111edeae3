#!/usr/bin/env bash
# Testing on a Slurm cluster, like MMPretrain's slurm_test.sh (one task per GPU, srun):
#   [GPUS=16] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#   bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options...]
# The slurm launcher needs GPUs; without them use tools/dist_test.sh (CPU processes).
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
if [ -z "$PARTITION" ] || [ -z "$JOB_NAME" ] || [ -z "$CONFIG" ] || [ -z "$CHECKPOINT" ]; then
    echo "usage: bash $0 PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options...]" >&2
    exit 2
fi
exec bash "$(dirname "$0")/_slurm_run.sh" "$PARTITION" "$JOB_NAME" test.py "$CONFIG" \
    "$CHECKPOINT" --launcher="slurm" "${@:5}"
