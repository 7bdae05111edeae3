"""Decoupled two-stage training end to end on real data, through the stock tools: stage 1 (CE) ->
stage 2 (cRT, LAS; also 2-process CPU DDP) -> tools/analysis/tau_norm.py -> tools/test.py.

The repo's quickstart configs are inherited with a small real Fashion-MNIST slice (300 training
and 100 test images per class, made long-tailed with IF 10) and a ResNet-8: what users run, at
test size. Every stage-2 run must leave the stage-1 backbone and its BatchNorm statistics
bit-identical.
"""
import json
import os.path as osp
import re
import sys

import pytest
import torch
from _tools import run_ok as _run

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QUICK = osp.join(ROOT, 'configs', 'quickstart')


def _data(root):
    """Overrides of the quickstart data: the slice, IF 10, per-class split 20/80 of the test."""
    lt = f"imbalance_factor=10, dataset=dict(data_root='{root}')"
    return f"""
model = dict(backbone=dict(depth=8))
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=32, dataset=dict({lt}), **loader)
default_hooks = dict(logger=dict(interval=10))
"""


def _stage1_config(tmp, root):
    path = tmp / 'stage1.py'
    path.write_text(f"""
_base_ = ['{QUICK}/ce_resnet32_1xb64_fashion-mnist-lt-if500.py']
{_data(root)}
val_dataloader = dict(dataset=dict({f"imbalance_factor=10, dataset=dict(data_root='{root}')"}),
                      **loader)
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=1)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0, end=10)]
""")
    return str(path)


def _split_overrides(root):
    inner = f"dict(imbalance_factor=10, dataset=dict(data_root='{root}'))"
    return f"""
val_dataloader = dict(dataset=dict(per_class=20, dataset={inner}), **loader)
test_dataloader = dict(dataset=dict(per_class=20, dataset={inner}), **loader)
"""


def _stage2_config(tmp, root, name, ckpt):
    path = tmp / f'{name}.py'
    path.write_text(f"""
_base_ = ['{QUICK}/{name}_resnet32_1xb64_fashion-mnist-lt-if500.py']
{_data(root)}
{_split_overrides(root)}
load_from = '{ckpt}'
train_cfg = dict(max_epochs=1, val_interval=1)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0, end=10)]
""")
    return str(path)


def _val_split_config(tmp, root):
    path = tmp / 'stage1_val.py'
    path.write_text(f"""
_base_ = ['{QUICK}/ce_resnet32_1xb64_fashion-mnist-lt-if500-val100.py']
{_data(root)}
{_split_overrides(root)}
""")
    return str(path)


def _state(path):
    return torch.load(path, map_location='cpu', weights_only=False)['state_dict']


def _assert_frozen(stage1, stage2):
    frozen = [k for k in stage1 if k.startswith(('backbone.', 'neck.'))]
    assert any('running_mean' in k for k in frozen) and any('num_batches' in k for k in frozen)
    for key in frozen:
        assert torch.equal(stage1[key], stage2[key]), f'{key} changed in stage 2'


def _metrics(out):
    line = [x for x in out.splitlines() if 'Epoch(test)' in x and 'lt/top1' in x][-1]
    return {k: float(v) for k, v in re.findall(r'lt/(\w+): ([\d.]+)', line)}


@pytest.fixture(scope='module')
def stage1(tmp_path_factory, fashion_mnist_subset):
    tmp = tmp_path_factory.mktemp('two_stage')
    cfg = _stage1_config(tmp, fashion_mnist_subset)
    _run([sys.executable, 'tools/train.py', cfg, '--work-dir', str(tmp / 's1')], tmp)
    return dict(tmp=tmp, root=fashion_mnist_subset, cfg=cfg, ckpt=str(tmp / 's1' / 'epoch_1.pth'))


def test_crt_and_las_keep_the_backbone(stage1):
    tmp, root, ckpt = stage1['tmp'], stage1['root'], stage1['ckpt']
    s1 = _state(ckpt)
    crt = _stage2_config(tmp, root, 'crt', ckpt)
    out = _run([sys.executable, 'tools/train.py', crt, '--work-dir', str(tmp / 'crt')], tmp)
    assert 'FreezeHook: froze backbone, neck' in out
    assert 'not loading head.fc.bias, head.fc.weight from the stage-1 checkpoint' in out
    s2 = _state(str(tmp / 'crt' / 'epoch_1.pth'))
    _assert_frozen(s1, s2)
    assert not torch.equal(s1['head.fc.weight'], s2['head.fc.weight'])

    las = _stage2_config(tmp, root, 'las', ckpt)
    out = _run([sys.executable, 'tools/train.py', las, '--work-dir', str(tmp / 'las')], tmp)
    assert 'LabelAwareSmoothingLoss' in out and 'not loading' not in out  # classifier kept
    s3 = _state(str(tmp / 'las' / 'epoch_1.pth'))
    _assert_frozen(s1, s3)
    assert not torch.equal(s3['head.scales'], torch.ones(10))  # LWS scales learnt
    assert not torch.equal(s1['head.fc.weight'], s3['head.fc.weight'])  # and the classifier
    # the stage-2 checkpoint evaluates with tools/test.py (test split: 80 images per class)
    out = _run([sys.executable, 'tools/test.py', las, str(tmp / 'las' / 'epoch_1.pth'),
                '--work-dir', str(tmp / 'las_test')], tmp)
    assert 0 <= _metrics(out)['top1'] <= 100


def test_stage2_refusals(stage1):
    tmp, root, ckpt = stage1['tmp'], stage1['root'], stage1['ckpt']
    crt = _stage2_config(tmp, root, 'crt', ckpt)
    out = _run([sys.executable, 'tools/train.py', crt, '--work-dir', str(tmp / 'no_ckpt'),
                '--cfg-options', 'load_from=None'], tmp, ok=False)
    assert 'load_from is not set' in out
    state = torch.load(ckpt, map_location='cpu', weights_only=False)
    state['state_dict']['head.fc.weight'] = state['state_dict']['head.fc.weight'][:7]
    state['state_dict']['head.fc.bias'] = state['state_dict']['head.fc.bias'][:7]
    wrong = str(tmp / 'seven_classes.pth')
    torch.save(state, wrong)
    out = _run([sys.executable, 'tools/train.py', crt, '--work-dir', str(tmp / 'wrong'),
                '--cfg-options', f'load_from={wrong}'], tmp, ok=False)
    assert 'classifier for 7 classes' in out and 'num_classes=10' in out


def test_crt_two_processes_on_cpu(stage1, free_port):
    tmp, root, ckpt = stage1['tmp'], stage1['root'], stage1['ckpt']
    crt = _stage2_config(tmp, root, 'crt', ckpt)
    out = _run(['bash', 'tools/dist_train.sh', crt, '2', '--work-dir', str(tmp / 'ddp')], tmp,
               timeout=900, env=dict(PORT=str(free_port)))
    assert 'running 2 processes with the gloo backend on CPU' in out
    s2 = _state(str(tmp / 'ddp' / 'epoch_1.pth'))
    _assert_frozen(_state(ckpt), s2)
    assert not torch.equal(_state(ckpt)['head.fc.weight'], s2['head.fc.weight'])


def test_tau_norm_tool_bake_and_head_option(stage1):
    tmp, root, ckpt = stage1['tmp'], stage1['root'], stage1['ckpt']
    # the stage-1 config validates on its test split: τ is not chosen there
    out = _run([sys.executable, 'tools/analysis/tau_norm.py', stage1['cfg'], ckpt], tmp,
               ok=False)
    assert 'no validation split separate from its test split' in out and '--tau' in out

    cfg = _val_split_config(tmp, root)
    baked, report = str(tmp / 'tau.pth'), tmp / 'tau.json'
    _run([sys.executable, 'tools/analysis/tau_norm.py', cfg, ckpt, '--taus', '0', '1.5', '0.25',
          '--bake', baked, '--out', str(report)], tmp)
    result = json.loads(report.read_text())
    assert [r['tau'] for r in result['sweep']] == [0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5]
    best = max(r['top1'] for r in result['sweep'])
    assert result['selected_on'] == 'val'
    assert result['tau'] == next(r['tau'] for r in result['sweep'] if r['top1'] == best)
    tau = result['tau']
    # the baked checkpoint, tested by the same config, gives the reported test numbers
    out = _run([sys.executable, 'tools/test.py', cfg, baked, '--work-dir', str(tmp / 't1')], tmp)
    got = _metrics(out)
    for key in ('top1', 'many', 'medium'):
        assert got[key] == pytest.approx(result['test']['tau'][key], abs=1e-3), key
    # ... and so does the head option on the original checkpoint
    out = _run([sys.executable, 'tools/test.py', cfg, ckpt, '--work-dir', str(tmp / 't2'),
                '--cfg-options', 'model.head.type=DecoupledClsHead', f'model.head.tau={tau}'],
               tmp)
    assert _metrics(out)['top1'] == pytest.approx(result['test']['tau']['top1'], abs=1e-3)
    # τ = 0 is the model as trained
    out = _run([sys.executable, 'tools/test.py', cfg, ckpt, '--work-dir', str(tmp / 't3')], tmp)
    assert _metrics(out)['top1'] == pytest.approx(result['test']['tau=0']['top1'], abs=1e-3)
    w = _state(ckpt)['head.fc.weight']
    expected = w / w.norm(dim=1, keepdim=True)**tau
    torch.testing.assert_close(_state(baked)['head.fc.weight'], expected)


def test_stage2_resume_is_bit_identical(stage1):
    """cRT for 2 epochs in one go equals 1 epoch + --resume: the resumed run keeps its trained
    classifier (not re-initialised again), the sampler and the optimizer state. One loader
    worker: MMEngine seeds it the same way every epoch, so the augmentation draws of an epoch do
    not depend on what ran before (in-process loading would carry NumPy's state over)."""
    tmp, root, ckpt = stage1['tmp'], stage1['root'], stage1['ckpt']
    crt = _stage2_config(tmp, root, 'crt', ckpt)
    worker = ['train_dataloader.num_workers=1', 'train_dataloader.persistent_workers=False']
    two = ['--cfg-options', 'train_cfg.max_epochs=2'] + worker
    _run([sys.executable, 'tools/train.py', crt, '--work-dir', str(tmp / 'straight')] + two, tmp)
    _run([sys.executable, 'tools/train.py', crt, '--work-dir', str(tmp / 'resumed'),
          '--cfg-options'] + worker, tmp)
    out = _run([sys.executable, 'tools/train.py', crt, '--work-dir', str(tmp / 'resumed'),
                '--resume'] + two, tmp)
    assert 'resumed epoch: 1' in out and 'not loading head' not in out
    a = _state(str(tmp / 'straight' / 'epoch_2.pth'))
    b = _state(str(tmp / 'resumed' / 'epoch_2.pth'))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    _assert_frozen(_state(ckpt), b)
