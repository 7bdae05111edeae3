#!/usr/bin/env bash
# Every GPU measurement in one command: the three method suites (DBM, GHM-CWAP, Difficulty-Net on
# JPEG CIFAR-10-LT IF100) and the speed suite, on one GPU, within a wall-time budget.
#
#   bash tools/benchmark/gpu_suite.sh            # on the GPU machine, from the repo root
#
# Prepare (on the machine that has ../shared; the GPU machine gets only the working tree and the
# carried folder .gpu/, 64 MiB at most):
#   mkdir -p .gpu && cp ../shared/gpu-wheels/*.whl .gpu/ \
#     && cp ../shared/data/cifar10-jpeg.tar.gz .gpu/ && echo "/.gpu/" >> .git/info/exclude
# and carry `.gpu` (the device tool's `carry`). Environment knobs:
#   BUDGET_S   seconds for the three method suites together (default 300)
#   EPOCHS     epochs of every method row (default: the longest schedule, at most the configs'
#              200, whose measured speed fits BUDGET_S; see below)
#   OUT        where results and logs go (default work_dirs/gpu_suite)
#   SMOKE=1    a dry run of this script on CPU: the probe and the speed step with
#              reproduce.py --smoke (every row, tiny data, 1 epoch), step 2 with --dry-run (every
#              row's command at the sized EPOCHS, nothing trained), and nothing merged into
#              docs/results (a test runs it: the smoke test of every suite row)
#   ROWS       comma-separated row names to run (default: every row). To rerun the rows that
#              failed, give EPOCHS too (the first run's): the other rows then keep their results
#              in docs/results; at other settings they are listed as not run
#   SPEED_PARALLEL  speed-suite rows at a time (default 2: each standard-pipeline run keeps its 4
#              data workers on their own cores; the README says how many runs shared the GPU)
#
# Steps: install the carried wheels (the GPU image has torch and torchvision only), unpack the
# data, start CUDA MPS if it can be started, then
#   1. probe: 2 epochs of every method row, all at once (fails fast if a row is broken), then
#      1 epoch of the stage-2 rows; the second epoch's seconds (with evaluation) under this
#      concurrency size the schedule: stage-2 rows start when every stage-1 row has finished and
#      train their share of it (e.g. 10 of 200 epochs), so
#      EPOCHS = min(200, BUDGET_S / (1.1 * (slowest stage-1 row + slowest stage-2 row x share)));
#   2. the method suites at EPOCHS (schedules scaled), all rows at once;
#   3. the speed suite, SPEED_PARALLEL rows at a time (standard pipeline vs fast path, the
#      ResNet-50 step check, the loops' per-iteration overhead);
#   4. results.json/results.md per suite, merged into docs/results/results.json, the README and
#      model-zoo tables regenerated, and everything (with the per-row logs) copied to OUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-work_dirs/gpu_suite}
BUDGET_S=${BUDGET_S:-300}
mkdir -p "$OUT"
T0=$(date +%s)
stamp() { echo "[gpu_suite +$(( $(date +%s) - T0 ))s] $*"; }

if [ -d .gpu ] && ls .gpu/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .gpu/*.whl
    export PYTHONPATH=/tmp/site:$PWD
else
    export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
fi
if [ "${SMOKE:-0}" != 1 ] && [ ! -d data/cifar10-jpeg/train ]; then
    [ -f .gpu/cifar10-jpeg.tar.gz ] || { echo "gpu_suite: no data/cifar10-jpeg and no" \
        ".gpu/cifar10-jpeg.tar.gz: see the header of $0" >&2; exit 2; }
    mkdir -p data/cifar10-jpeg && tar xzf .gpu/cifar10-jpeg.tar.gz -C data/cifar10-jpeg
    # an archive with one top folder: use its train/test
    [ -d data/cifar10-jpeg/train ] || mv data/cifar10-jpeg/*/{train,test} data/cifar10-jpeg/
fi
stamp "stack: $(python3 -c 'import torch, mmpretrain; print(torch.__version__, mmpretrain.__version__, torch.cuda.get_device_name() if torch.cuda.is_available() else "NO GPU")')"
if command -v nvidia-cuda-mps-control >/dev/null 2>&1 && nvidia-cuda-mps-control -d 2>/dev/null; then
    stamp "CUDA MPS started"
    trap 'echo quit | nvidia-cuda-mps-control || true' EXIT
else
    stamp "CUDA MPS not available: processes time-share the GPU"
fi
METHODS="dbm-cifar10-jpeg-if100 ghm-cwap-cifar10-jpeg-if100 difficulty-net-cifar10-jpeg-if100"
if [ "${SMOKE:-0}" = 1 ]; then
    # the probe already trains every method row: step 2 prints the commands it would run
    PROBE="--smoke"; RUN="--dry-run"; SPEED="--smoke"
else
    PROBE="--epochs 2"; RUN="--update docs/results/results.json"; SPEED=$RUN
fi
if [ -n "${ROWS:-}" ]; then
    PROBE="$PROBE --rows $ROWS"; RUN="$RUN --rows $ROWS"; SPEED="$SPEED --rows $ROWS"
fi

stamp "1. probe: 2 epochs of every method row"
python3 tools/reproduce.py $METHODS $PROBE --out "$OUT/probe" > "$OUT/probe.log" 2>&1 \
    || { tail -50 "$OUT/probe.log"; stamp "probe failed: see $OUT/probe.log"; exit 1; }
if [ -z "${EPOCHS:-}" ]; then
    EPOCHS=$(python3 - "$OUT/probe" "$BUDGET_S" <<'EOF'
import glob, json, sys
from mmengine.config import Config
stage1 = stage2 = 0.0  # seconds per suite epoch: stage-2 rows run after every stage-1 row
for path in glob.glob(sys.argv[1] + '/*/results.json'):
    res = json.load(open(path))
    for r in res['rows']:
        sec = r['sec_per_epoch_with_eval'] or r['first_epoch_s']  # a 1-epoch stage-2 probe
        if r.get('after'):
            share = Config.fromfile(r['config']).train_cfg.max_epochs / res['config_epochs']
            stage2 = max(stage2, share * sec)
        else:
            stage1 = max(stage1, sec)
print(max(1, min(200, int(float(sys.argv[2]) / (1.1 * (stage1 + stage2))))))
EOF
)
fi
stamp "2. method suites at $EPOCHS epochs"
python3 tools/reproduce.py $METHODS --epochs "$EPOCHS" --out "$OUT/repro" $RUN \
    > "$OUT/methods.log" 2>&1 || stamp "a method row failed"
stamp "3. speed suite"
python3 tools/reproduce.py speed --out "$OUT/repro" --parallel "${SPEED_PARALLEL:-2}" $SPEED \
    > "$OUT/speed.log" 2>&1 \
    || stamp "a speed row failed"
stamp "4. tables"
# (a smoke run merged nothing: it only checks that the committed tables are current)
python3 tools/misc/update_results_docs.py --results docs/results/results.json \
    $([ "${SMOKE:-0}" = 1 ] && echo --check) > "$OUT/docs.log" 2>&1 \
    || stamp "table generation failed: see $OUT/docs.log"
mkdir -p "$OUT/docs"
cp -r docs/results "$OUT/docs/" && cp README.md "$OUT/docs/"
for d in configs/dbm configs/ghm_cwap configs/difficulty_net configs/baselines; do
    mkdir -p "$OUT/docs/$d" && cp "$d"/README.md "$d"/metafile.yml "$OUT/docs/$d/" 2>/dev/null || true
done
cp model-index.yml "$OUT/docs/" 2>/dev/null || true
# keep the small text logs, drop checkpoints
find "$OUT" -name '*.pth' -delete
cat "$OUT"/repro/*/results.md
stamp "done (EPOCHS=$EPOCHS, BUDGET_S=$BUDGET_S)"
