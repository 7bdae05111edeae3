"""tools/benchmark/*: each script runs end to end on the CPU with tiny sizes (own processes, with a
temporary working directory)."""
import json
import os.path as osp
import sys

import pytest
from _tools import run_ok

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(ROOT, 'tools', 'benchmark')


def _run(script, *args, cwd, timeout=300):
    return run_ok([sys.executable, osp.join(TOOLS, script), *args], cwd, dict(
        MKL_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='', PYTHONWARNINGS='ignore'), timeout)


def test_train_speed_standard_and_fast(tmp_path, fake_cifar, tiny_cifar_config):
    data = str(tmp_path / 'data')
    fake_cifar(data)  # 20 images per class: 78 at IF 10
    cfg = tiny_cifar_config(data, str(tmp_path / 'cfg'), max_epochs=2, fast=False)
    out_dir = tmp_path / 'speed'
    stdout = _run('train_speed.py', cfg, '--quick', '--out-dir', str(out_dir), '--cfg-options',
                  'default_hooks.logger.interval=1', cwd=tmp_path)
    assert 's/ep train' in stdout and 'speed-up fast vs standard' in stdout
    payload = json.load(open(out_dir / 'train_speed.json'))
    results = {r['mode']: r for r in payload['results']}
    assert set(results) == {'standard', 'fast'}
    for r in results.values():
        assert r['epochs'] == 1 and r['iters_per_epoch'] == 5  # 78 images, batch 16
        assert r['sec_per_epoch_train'] > 0 and r['sec_per_epoch_with_eval'] > r[
            'sec_per_epoch_train']
        assert r['images_per_s'] > 0 and r['peak_gpu_mem_mib'] == 0.0
        for k in ('top1', 'many', 'medium', 'few'):
            assert k in r
        assert r['top1'] is not None
    # logs of each mode are in its own work dir
    assert (out_dir / 'fast').is_dir() and (out_dir / 'standard').is_dir()


def test_step_overhead_quick(tmp_path):
    stdout = _run('step_overhead.py', '--quick', '--devices', 'cpu', '--out-dir', str(tmp_path),
                  cwd=tmp_path)
    rows = json.load(open(tmp_path / 'step_overhead.json'))['results']
    by = {r['method']: r for r in rows}
    assert set(by) == {'CE', 'BS', 'LDAM', 'DBM', 'DBM-BS', 'GHM-CWAP', 'Difficulty-Net'}
    assert by['CE']['fwd_bwd_ratio'] == pytest.approx(1.0)
    for m, r in by.items():
        assert r['step_ms'] > 0 and r['step_ratio'] > 0
        if m != 'Difficulty-Net':
            assert r['fwd_bwd_ms'] > 0
    assert 'Difficulty-Net' in stdout


def test_resnet50_throughput_quick(tmp_path):
    _run('resnet50_throughput.py', '--quick', '--losses', 'BalancedSoftmaxLoss,DBMLoss',
         '--out-dir', str(tmp_path), cwd=tmp_path)
    payload = json.load(open(tmp_path / 'resnet50_throughput.json'))
    rows = payload['results']
    assert [(r['setup'], r['loss']) for r in rows] == [('plain', 'CrossEntropyLoss'),
                                                       ('mmltr', 'BalancedSoftmaxLoss'),
                                                       ('mmltr', 'DBMLoss')]
    for r in rows:
        assert r['step_ms'] > 0 and r['loop_images_per_s'] > 0
    assert 'overhead_pct' in rows[1] and 'overhead_pct' in rows[2]
    # the line the README's speed table shows
    assert payload['summary'].startswith('step time over plain MMPretrain CE (ResNet-50 at ')
    assert f"BalancedSoftmaxLoss {rows[1]['overhead_pct']:+.1f} %" in payload['summary']
    assert {m['metric'] for m in payload['metrics']} == {'Accuracy', 'ShotAccuracy'}


def test_loop_overhead_json(tmp_path):
    out = tmp_path / 'loop.json'
    stdout = _run('loop_overhead.py', '--iters', '3', '--epochs', '3', '--batch-size', '8',
                  '--image-size', '16', '--json', str(out), cwd=tmp_path)
    assert 'ms per iteration' in stdout and 'IterTimerHook' in stdout
    assert 'overhead (less bare loop)' in stdout and 'function calls per iteration' in stdout
    assert 'model stack (train_step - bare)' in stdout and 'loop machinery' in stdout
    payload = json.load(open(out))
    assert payload['standard_ms_per_iter'] > 0 and payload['fast_ms_per_iter'] > 0
    assert (f"fast {payload['overhead_ms_per_iter']['fast']:.2f} ms (loop machinery "
            f"{payload['machinery_ms_per_iter']['fast']:.2f} ms)") in payload['summary']
    assert f"fast {payload['calls_per_iter']['fast']:.0f}" in payload['summary']
    assert payload['args']['image_size'] == 16
    # function calls are counted, not timed: MMPretrain's train_step adds calls to the bare
    # loop's, the fast loop's machinery more, the standard loop (DataLoader, PackInputs,
    # per-sample labels) many more
    bare, step = payload['bare_calls_per_iter'], payload['step_calls_per_iter']
    calls = payload['calls_per_iter']
    assert 100 < bare < step < calls['fast'] < calls['standard']
    for loop in ('standard', 'fast'):
        ms = {k: payload[f'{k}_ms_per_iter'][loop] for k in ('bare', 'step')}
        assert ms['bare'] > 0 and ms['step'] > 0
        # the medians over the timed epochs of paired differences (loop epoch - the baseline
        # epoch right after it): with two timed epochs, the differences of the two medians
        assert payload['overhead_ms_per_iter'][loop] == pytest.approx(
            payload[f'{loop}_ms_per_iter'] - ms['bare'])
        assert payload['model_stack_ms_per_iter'][loop] == pytest.approx(
            ms['step'] - ms['bare'])
        assert payload['machinery_ms_per_iter'][loop] == pytest.approx(
            payload[f'{loop}_ms_per_iter'] - ms['step'])
        stages = payload['breakdown'][loop]
        assert list(stages) == ['sampler/batch', 'data samples', 'data preprocessor',
                                'backbone+neck', 'head+labels', 'loss function', 'backward+step',
                                'train_step wrapper', 'hooks', 'log handling', 'loop (rest)']
        # every wrapped stage was reached in the timed epochs
        assert all(v > 0 for k, v in stages.items() if k != 'loop (rest)'), (loop, stages)
        assert {'IterTimerHook', 'RuntimeInfoHook', 'LoggerHook',
                'LongTailLossHook'} <= set(payload['hooks'][loop])
        assert payload['instrumented_ms_per_iter'][loop] == pytest.approx(sum(stages.values()))
