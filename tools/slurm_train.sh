#!/usr/bin/env bash
# Training on a Slurm cluster, like MMPretrain's slurm_train.sh (one task per GPU, srun):
#   [GPUS=16] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#   bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options...]
# The slurm launcher needs GPUs; without them use tools/dist_train.sh (CPU processes).
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
if [ -z "$PARTITION" ] || [ -z "$JOB_NAME" ] || [ -z "$CONFIG" ] || [ -z "$WORK_DIR" ]; then
    echo "usage: bash $0 PARTITION JOB_NAME CONFIG WORK_DIR [train.py options...]" >&2
    exit 2
fi
exec bash "$(dirname "$0")/_slurm_run.sh" "$PARTITION" "$JOB_NAME" train.py "$CONFIG" \
    --work-dir="$WORK_DIR" --launcher="slurm" "${@:5}"
