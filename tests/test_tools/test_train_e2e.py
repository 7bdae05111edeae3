"""End to end through the stock tools: train, resume, test, 2-process CPU DDP, analysis tool.

A tiny long-tailed JPEG/PNG folder tree (the on-disk layout of the JPEG CIFAR-10 copy) is generated,
and the repo's own base configs are inherited, so this exercises exactly what users run. The tools
run with a temporary working directory, so nothing (e.g. mmengine's ``.dist_test`` folder of
collected DDP results) is written into the repository.
"""
import functools
import json
import os
import os.path as osp
import re
import sys

import numpy as np
import pytest
from _tools import run_ok

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLASSES = [f'c{i}' for i in range(10)]
N_TRAIN, N_TEST, IF = 150, 4, 10  # IF 10 on 150/class: 150 ... 15 images: all three shot groups


@pytest.fixture(scope='module')
def data_root(tmp_path_factory, image_tree):
    root = tmp_path_factory.mktemp('lt_tree')
    rng = np.random.RandomState(0)
    for split, n in (('train', N_TRAIN), ('test', N_TEST)):
        labels = np.repeat(np.arange(len(CLASSES)), n)
        # class-dependent colour + noise: learnable, but not trivially
        base = np.stack([(labels * 25) % 255, (labels * 70) % 255, (labels * 130) % 255], 1)
        noise = np.stack([rng.randint(-60, 60, (32, 32, 3)) for _ in labels])
        images = np.clip(base[:, None, None, :] + noise, 0, 255).astype(np.uint8)
        image_tree(root / split, images, labels, classes=CLASSES)
    return root


def _write_config(path, data_root, head=None):
    head = head or ''
    path.write_text(f"""
_base_ = [
    '{ROOT}/configs/_base_/models/resnet32_cifar.py',
    '{ROOT}/configs/_base_/datasets/cifar10_lt_jpeg.py',
    '{ROOT}/configs/_base_/schedules/cifar_lt_200e.py',
    '{ROOT}/configs/_base_/default_runtime.py',
]
{head}
lt = dict(imbalance_factor={IF}, imb_type='exp', seed=0)
train_dataloader = dict(batch_size=16, num_workers=0, persistent_workers=False,
                        dataset=dict(dataset=dict(data_root='{data_root}'), **lt))
val_dataloader = dict(batch_size=32, num_workers=0, persistent_workers=False,
                      dataset=dict(train_dataset=dict(data_root='{data_root}'),
                                   dataset=dict(data_root='{data_root}'), **lt))
test_dataloader = val_dataloader
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0, end=100)]
optim_wrapper = dict(optimizer=dict(lr=0.05))
train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=5))
""")
    return str(path)


def _counts(imbalance_factor):
    return [int(N_TRAIN * imbalance_factor**(-c / 9)) for c in range(len(CLASSES))]


# a tool of the repo (``tools/...``, resolved against the repo) in ``cwd``, status 0
_run = functools.partial(run_ok, timeout=300)


def _last_metrics(work_dir):
    """The last validation line of the run's scalars.json (its 'step' is the epoch)."""
    runs = sorted(d for d in os.listdir(work_dir) if re.fullmatch(r'\d{8}_\d{6}', d))
    lines = open(osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')).read().splitlines()
    vals = [json.loads(x) for x in lines if '"lt/top1"' in x]
    assert vals, 'no validation metrics were logged'
    return vals[-1]


def test_train_resume_and_test(tmp_path, data_root):
    cfg = _write_config(tmp_path / 'tiny_ce.py', data_root)
    work = str(tmp_path / 'work')
    out = _run([sys.executable, 'tools/train.py', cfg, '--work-dir', work], tmp_path)
    # the lr of cifar_lt_200e.py is for a total batch of 64; this run trains with 16
    assert 'The total training batch is 16 (1 process(es) x 16)' in out, out[-3000:]
    m1 = _last_metrics(work)
    assert m1['step'] == 1
    for key in ('lt/top1', 'lt/many', 'lt/medium', 'lt/few'):  # every group is populated
        assert key in m1 and 0.0 <= m1[key] <= 100.0, (key, m1)
    assert osp.exists(osp.join(work, 'epoch_1.pth'))

    # --resume (no value): continue from the latest checkpoint in the work dir to epoch 2.
    out = _run([sys.executable, 'tools/train.py', cfg, '--work-dir', work, '--resume',
                '--cfg-options', 'train_cfg.max_epochs=2'], tmp_path)
    assert 'resumed epoch: 1' in out, out[-3000:]
    assert osp.exists(osp.join(work, 'epoch_2.pth'))
    assert _last_metrics(work)['step'] == 2

    # tools/test.py on the resumed checkpoint, with the per-class dump.
    dump = tmp_path / 'per_class.json'
    out = _run([sys.executable, 'tools/test.py', cfg, osp.join(work, 'epoch_2.pth'),
                '--work-dir', str(tmp_path / 'test'),
                '--cfg-options', f'test_evaluator.0.dump_per_class={dump}'], tmp_path)
    assert re.search(r'lt/top1: \d', out), out[-3000:]
    per_class = json.loads(dump.read_text())
    text = json.dumps(per_class)
    assert '"many"' in text and '"few"' in text
    assert [c['train_count'] for c in per_class['classes']] == _counts(IF)

    # Only the training set's imbalance factor overridden (the test split keeps IF 10): the groups
    # follow the training counts, as in the training run's validation. With MMPretrain's flags
    # --tta (flip TTA by default) and --out/--out-item metrics.
    out_file = tmp_path / 'metrics.json'
    out = _run([sys.executable, 'tools/test.py', cfg, osp.join(work, 'epoch_2.pth'),
                '--work-dir', str(tmp_path / 'test'), '--tta', '--out', str(out_file),
                '--out-item', 'metrics', '--cfg-options', f'test_evaluator.0.dump_per_class={dump}',
                'train_dataloader.dataset.imbalance_factor=2'], tmp_path)
    assert "type='mmpretrain.AverageClsScoreTTA'" in out, out[-3000:]
    assert [c['train_count'] for c in json.loads(dump.read_text())['classes']] == _counts(2)
    metrics = json.loads(out_file.read_text())
    assert 0.0 <= metrics['lt/top1'] <= 100.0
    assert metrics['lt/few'] is None  # IF 2: no class under 20 images (an empty group is null)


def test_dist_train_two_processes_on_cpu(tmp_path, data_root, free_port):
    # DBM-BS on a cosine head: class counts must reach the loss on every rank (LongTailLossHook).
    head = ("model = dict(head=dict(_delete_=True, type='CosineClsHead', num_classes=10, "
            "in_channels=64, loss=dict(type='DBMLoss', base='bs')))")
    cfg = _write_config(tmp_path / 'tiny_dbm.py', data_root, head)
    work = str(tmp_path / 'ddp')
    out = _run(['bash', 'tools/dist_train.sh', cfg, '2', '--work-dir', work], tmp_path,
               timeout=400, env=dict(PORT=str(free_port)))
    assert 'running 2 processes with the gloo backend on CPU' in out
    assert 'terminate called' not in out  # every rank exited cleanly (see the next test)
    assert 'The total training batch is 32 (2 process(es) x 16)' in out, out[-3000:]
    # The data is sharded: each rank runs ceil(ceil(N / 2) / 16) iterations per epoch.
    n = sum(_counts(IF))
    iters = -(-(-(-n // 2)) // 16)
    assert f'Epoch(train) [1][{iters}/{iters}]' in out, out[-3000:]
    assert 'LongTailLossHook: class counts' in out
    m = _last_metrics(work)
    assert m['step'] == 1 and 0.0 <= m['lt/top1'] <= 100.0
    assert osp.exists(osp.join(work, 'epoch_1.pth'))
    assert (tmp_path / '.dist_test').is_dir()  # DDP evaluation collected in the cwd, not the repo


def test_dist_train_exits_cleanly_on_cpu(tmp_path, data_root, free_port):
    """Every rank of a finished 2-process CPU run exits with status 0, run after run.

    Without destroy_process_group() a rank could abort at interpreter exit (``terminate called
    without an active exception``, status 1) in about 1 run of 6; kept cheap: 2 short runs here
    and the same check on the 2-process run of the previous test.
    """
    cfg = _write_config(tmp_path / 'tiny_exit.py', data_root)
    for _ in range(2):
        out = _run(['bash', 'tools/dist_train.sh', cfg, '2', '--work-dir', str(tmp_path / 'w'),
                    '--no-validate'], tmp_path, timeout=300, env=dict(PORT=str(free_port)))
        assert 'terminate called' not in out and 'running 2 processes' in out


def test_lt_stats_tool(tmp_path, data_root):
    cfg = _write_config(tmp_path / 'tiny_stats.py', data_root)
    out = _run([sys.executable, 'tools/analysis/lt_stats.py', cfg], tmp_path)
    counts = _counts(IF)
    assert f'images: {sum(counts)}' in out
    many = sum(n > 100 for n in counts)
    few = sum(n < 20 for n in counts)
    assert f'few (< 20): {few} classes' in out and f'many (> 100): {many} classes' in out
    # --split test: the test split's own images, grouped by the training counts
    out = _run([sys.executable, 'tools/analysis/lt_stats.py', cfg, '--split', 'test'], tmp_path)
    assert f'images: {N_TEST * 10}' in out and f'{sum(counts)} training images' in out
    assert f'few (< 20): {few} classes' in out and f'many (> 100): {many} classes' in out


def test_dist_train_difficulty_net_two_processes(tmp_path, data_root, free_port):
    """The Difficulty-Net meta step (custom train_step, two optimizers) through dist_train.sh."""
    import torch
    d = str(data_root)
    base = osp.join(ROOT, 'configs', 'difficulty_net', 'jpeg',
                    'difficulty-net_resnet32_1xb64_cifar10-jpeg-lt-if100_100e.py')
    cfg = tmp_path / 'tiny_dn.py'
    cfg.write_text(f"""
_base_ = ['{base}']
lt = dict(imbalance_factor={IF}, meta_per_class=25)
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=16, dataset=dict(dataset=dict(data_root='{d}'), **lt), **loader)
val_dataloader = dict(batch_size=32, dataset=dict(train_dataset=dict(data_root='{d}'),
                                                  dataset=dict(data_root='{d}'), **lt), **loader)
test_dataloader = val_dataloader
meta = dict(batch_size=20, sampler=dict(type='DefaultSampler', shuffle=True), dataset=dict(
    type='LongTailedDataset', subset='meta', dataset=dict(
        type='CustomDataset', data_root='{d}', data_prefix='train',
        pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]), **lt), **loader)
custom_hooks = [dict(type='LongTailLossHook'),
                dict(type='DifficultyNetHook', meta_dataloader=meta, acc_batch_size=64)]
param_scheduler = dict(model=[dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0, end=9)],
                       difficulty_net=[])
train_cfg = dict(max_epochs=1)
default_hooks = dict(logger=dict(interval=5))
""")
    work = str(tmp_path / 'ddp_dn')
    out = _run(['bash', 'tools/dist_train.sh', str(cfg), '2', '--work-dir', work], tmp_path,
               timeout=500, env=dict(PORT=str(free_port)))
    assert 'running 2 processes with the gloo backend on CPU' in out
    assert 'The total training batch is 32 (2 process(es) x 16)' in out, out[-3000:]
    m = _last_metrics(work)
    assert m['step'] == 1 and 0.0 <= m['lt/top1'] <= 100.0
    ckpt = torch.load(osp.join(work, 'epoch_1.pth'), map_location='cpu', weights_only=False)
    # the class-accuracy vector was measured on the meta set after the epoch and saved
    acc = ckpt['state_dict']['class_acc']
    assert acc.shape == (10, ) and float(acc.sum()) > 0
    assert set(ckpt['optimizer']) >= {'model', 'difficulty_net'}
