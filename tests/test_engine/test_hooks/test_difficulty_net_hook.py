"""DifficultyNetHook with a runner: the meta set, the class accuracy, checkpoints and resume."""
import copy

import numpy as np
import pytest
import torch
from _difficulty_net_toys import OPTIM, C, model_cfg
from mmengine.runner import Runner

import mmltr  # noqa: F401
from mmltr.datasets import ClassBalancedSubset
from mmltr.datasets.long_tailed import LongTailedDataset
from mmltr.engine.hooks import DifficultyNetHook
from mmltr.engine.hooks.difficulty_net_hook import InfiniteMetaLoader


# ----------------------------------------------------------------------------------------------
# the meta set the hook loads (a balanced held-out set)
class _Labelled:
    """Minimal labelled dataset: 40 images per class, file order."""

    def __init__(self, per_class=40):
        self.labels = np.repeat(np.arange(C), per_class)
        self.metainfo = {'classes': tuple(range(C))}

    def get_gt_labels(self):
        return self.labels.copy()

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return i

    def get_data_info(self, i):
        return {'gt_label': int(self.labels[i])}


def test_meta_set_balanced_and_disjoint_from_training_subset():
    src = _Labelled()
    lt = LongTailedDataset(src, imbalance_factor=10, meta_per_class=10, subset='lt')
    meta = LongTailedDataset(src, imbalance_factor=10, meta_per_class=10, subset='meta')
    lt_idx = {lt._get_ori_dataset_idx(i) for i in range(len(lt))}
    meta_idx = [meta._get_ori_dataset_idx(i) for i in range(len(meta))]
    assert np.bincount(meta.get_gt_labels(), minlength=C).tolist() == [10] * C
    assert not lt_idx & set(meta_idx)
    # the last 10 of every class (file order), and the LT part has at most 30 per class
    assert sorted(meta_idx) == [c * 40 + k for c in range(C) for k in range(30, 40)]
    assert max(np.bincount(lt.get_gt_labels())) == 30
    assert meta.metainfo['class_counts'] == lt.metainfo['class_counts']

    sub = ClassBalancedSubset(src, per_class=7, seed=3)
    assert np.bincount(sub.get_gt_labels(), minlength=C).tolist() == [7] * C
    assert len(set(sub.indices.tolist())) == len(sub) == 7 * C
    again = ClassBalancedSubset(src, per_class=7, seed=3)
    assert sub.indices.tolist() == again.indices.tolist()
    assert ClassBalancedSubset(src, per_class=7, seed=4).indices.tolist() != sub.indices.tolist()
    last = ClassBalancedSubset(src, per_class=2, selection='last')
    assert last.indices.tolist() == [c * 40 + k for c in range(C) for k in (38, 39)]
    with pytest.raises(ValueError, match='fewer images'):
        ClassBalancedSubset(src, per_class=41)


class _Sampler:

    def __init__(self):
        self.epochs = []

    def set_epoch(self, epoch):
        self.epochs.append(epoch)


class _Loader(list):

    def __init__(self, items):
        super().__init__(items)
        self.sampler = _Sampler()


def test_infinite_meta_loader_reshuffles_every_pass_resume_safe():
    loader = _Loader([1, 2, 3])
    it = InfiniteMetaLoader(loader)
    it.reset(2)
    assert [next(it) for _ in range(7)] == [1, 2, 3, 1, 2, 3, 1]
    stride = 100003  # pass p of epoch e uses sampler epoch e * stride + p
    assert loader.sampler.epochs == [2 * stride, 2 * stride + 1, 2 * stride + 2]
    it.reset(3)  # a new training epoch (or a resumed run) starts from its first pass
    assert next(it) == 1 and loader.sampler.epochs[-1] == 3 * stride


# ----------------------------------------------------------------------------------------------
# runner: hook, checkpoints, resume
def runner_cfg(work_dir, max_epochs, **extra):
    test_pipeline = [dict(type='PackInputs')]
    cfg = dict(
        model=model_cfg(),
        work_dir=work_dir,
        train_dataloader=dict(
            batch_size=8, num_workers=0,
            dataset=dict(type='DNTestToyDataset', counts=(12, 8, 6, 4, 2), seed=0,
                         pipeline=test_pipeline),
            sampler=dict(type='DefaultSampler', shuffle=True)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=copy.deepcopy(OPTIM),
        param_scheduler=dict(
            model=[dict(type='MultiStepLR', by_epoch=True, milestones=[1], gamma=0.5)],
            difficulty_net=[]),
        custom_hooks=[
            dict(type='LongTailLossHook'),
            dict(type='DifficultyNetHook',
                 meta_dataloader=dict(
                     batch_size=5, num_workers=0,
                     dataset=dict(type='DNTestToyDataset', counts=(4, ) * C, seed=1,
                                  pipeline=test_pipeline),
                     sampler=dict(type='DefaultSampler', shuffle=True)),
                 acc_batch_size=7)
        ],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=1)),
        default_scope='mmpretrain',
        randomness=dict(seed=0),
        env_cfg=dict(dist_cfg=dict(backend='gloo')),
        log_level='WARNING',
    )
    cfg.update(extra)
    return cfg


def _state(runner):
    model = runner.model
    opt = runner.optim_wrapper.state_dict()
    return (model.class_acc.clone(), copy.deepcopy(model.state_dict()), copy.deepcopy(opt))


def test_hook_accuracy_checkpoint_and_resume(tmp_path):
    full = Runner.from_cfg(runner_cfg(str(tmp_path / 'full'), 2))
    full.train()
    acc_full, sd_full, opt_full = _state(full)
    assert acc_full.sum() > 0 and (acc_full <= 1).all()
    # a really is the meta-set accuracy of the final model
    hook = [h for h in full.hooks if isinstance(h, DifficultyNetHook)][0]
    torch.testing.assert_close(
        DifficultyNetHook.class_accuracy(full.model, hook.acc_loader, C), acc_full)

    ckpt = torch.load(str(tmp_path / 'full' / 'epoch_1.pth'), map_location='cpu',
                      weights_only=False)
    assert 'class_acc' in ckpt['state_dict']
    assert any(k.startswith('difficulty_net.') for k in ckpt['state_dict'])
    assert set(ckpt['optimizer']) >= {'model', 'difficulty_net'}
    assert ckpt['optimizer']['difficulty_net']['state'], 'Adam state is saved'
    assert ckpt['param_schedulers']['model'] and ckpt['param_schedulers']['difficulty_net'] == []

    # An identical run interrupted after epoch 1 (same config: its epoch_1.pth is this one; a
    # shorter max_epochs would clip the LR schedule), resumed: same a, weights and optimizer
    # states at the end as the uninterrupted run.
    resumed = Runner.from_cfg(runner_cfg(str(tmp_path / 'resumed'), 2, resume=True,
                                         load_from=str(tmp_path / 'full' / 'epoch_1.pth')))
    resumed.train()
    acc_res, sd_res, opt_res = _state(resumed)
    torch.testing.assert_close(acc_res, acc_full)
    for k in sd_full:
        torch.testing.assert_close(sd_res[k], sd_full[k], msg=k)
    for key in ('model', 'difficulty_net'):
        for pid, st in opt_full[key]['state'].items():
            for name, v in st.items():
                torch.testing.assert_close(opt_res[key]['state'][pid][name], v,
                                           msg=f'{key} {name}')
    assert resumed.optim_wrapper['model'].get_lr()['lr'][0] == pytest.approx(0.05)
    assert resumed.optim_wrapper['difficulty_net'].get_lr()['lr'][0] == pytest.approx(1e-2)
