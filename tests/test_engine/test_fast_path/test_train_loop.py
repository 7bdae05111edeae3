"""GPUEpochBasedTrainLoop on the CPU (the loop uses the model's device): training, validation,
checkpoints, bit-exact resume, deferred log sync, device-resident loaders for hooks, and
bit-identical training to the standard loop when the pipeline has no augmentation."""
import os.path as osp
import types

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import RUNNERS
from torch.utils.data import DataLoader

import mmltr  # noqa: F401
from mmltr.engine.fast_path import DeviceDataLoader
from mmltr.engine.fast_path.train_loop import DeferredLogVars
from mmltr.engine.hooks import DifficultyNetHook

init_default_scope('mmpretrain')
torch.set_num_threads(1)


def _runner(path, **changes):
    cfg = Config.fromfile(path)
    for k, v in changes.items():
        cfg[k] = v
    return RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)


@pytest.fixture
def cifar_root(tmp_path, fake_cifar):
    root = str(tmp_path / 'cifar')
    fake_cifar(root)
    return root


# ----------------------------------------------------------------------------------------------
# deferred log variables
# ----------------------------------------------------------------------------------------------
def test_deferred_log_vars_reach_the_hub_in_order():
    logs = DeferredLogVars()
    for i in range(3):
        kept = logs.append(dict(loss=torch.tensor(i + 0.5, requires_grad=True), host=0.25,
                                acc=torch.tensor([float(i)])))
        assert not kept['loss'].requires_grad and kept['host'] == 0.25
    hub = MessageHub.get_instance('test_deferred_log_vars')
    last = logs.flush(hub)
    assert last == dict(loss=2.5, host=0.25, acc=2.0) and len(logs) == 0
    assert list(hub.get_scalar('train/loss').data[0]) == [0.5, 1.5]
    assert list(hub.get_scalar('train/acc').data[0]) == [0.0, 1.0]


def test_non_scalar_log_variable_is_an_error():
    logs = DeferredLogVars()
    with pytest.raises(ValueError, match=r"'per_class' with shape \(3,\).*scalars"):
        logs.append(dict(loss=torch.tensor(1.0), per_class=torch.ones(3)))


# ----------------------------------------------------------------------------------------------
# whole runs
# ----------------------------------------------------------------------------------------------
def test_fast_loop_trains_validates_checkpoints_and_resumes(cifar_root, tmp_path,
                                                             tiny_cifar_config):
    # full 2-epoch run
    full = _runner(tiny_cifar_config(cifar_root, str(tmp_path / 'full')))
    assert type(full.train_loop).__name__ == 'GPUEpochBasedTrainLoop'
    full.train()
    iters = full.train_loop.max_iters
    assert full.iter == iters and full.epoch == 2
    assert osp.exists(tmp_path / 'full' / 'epoch_1.pth') and osp.exists(tmp_path / 'full' /
                                                                        'epoch_2.pth')
    hub = full.message_hub
    # every iteration's loss reached the message hub (deferred host copies, in order)
    assert len(hub.get_scalar('train/loss').data[0]) == iters
    lrs = hub.get_scalar('train/lr').data[0]
    assert len(lrs) == iters and lrs[0] < lrs[len(lrs) // 2 - 1]  # warm-up schedule ran
    metrics = full.val_loop.run()
    for key in ('lt/top1', 'lt/many', 'lt/medium', 'lt/few'):
        assert key in metrics
    # the standard loop on the same config: same iterations and lr schedule
    std = _runner(tiny_cifar_config(cifar_root, str(tmp_path / 'std'), fast=False),
                  val_cfg=None, val_dataloader=None, val_evaluator=None)
    std.train()
    np.testing.assert_allclose(std.message_hub.get_scalar('train/lr').data[0], lrs)
    # 1 epoch, then resume to epoch 2: bit-identical to the uninterrupted run
    part = _runner(tiny_cifar_config(cifar_root, str(tmp_path / 'part'), max_epochs=1))
    part.train()
    resumed = _runner(tiny_cifar_config(cifar_root, str(tmp_path / 'part')), resume=True,
                      load_from=str(tmp_path / 'part' / 'epoch_1.pth'))
    resumed.train()
    assert resumed.iter == iters
    for (k, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), k


def test_sync_interval_does_not_change_logs(cifar_root, tmp_path, tiny_cifar_config):
    hist = []
    for si in (1, 3):
        path = tiny_cifar_config(cifar_root, str(tmp_path / f's{si}'), max_epochs=1,
                                 extra=f'fast_path = dict(train=dict(sync_interval={si}))')
        # distinct experiment names: two runners started in the same second would otherwise share
        # one (timestamp-named) MessageHub and its loss history
        r = _runner(path, val_cfg=None, val_dataloader=None, val_evaluator=None,
                    experiment_name=f'sync_interval_{si}')
        r.train()
        hist.append(r.message_hub.get_scalar('train/loss').data[0])
    np.testing.assert_array_equal(hist[0], hist[1])


def test_without_augmentation_fast_and_standard_loops_train_bit_identically(
        cifar_root, tmp_path, tiny_cifar_config):
    """With nothing random in the training pipeline, the fast loop does the standard loop's
    computation: same batches from the same sampler, the same labels (a ``LabelBatch`` instead of
    ``DataSample`` objects), the same uint8 images normalised by the same data preprocessor. Two
    epochs on the CPU end in the same weights, bit for bit, and the same logged losses. (With
    augmentation the two draw different random crops and flips, so their runs differ as two
    seeds do.)"""
    no_aug = "train_dataloader['dataset']['pipeline'] = [dict(type='PackInputs')]"
    runs = {}
    for fast in (False, True):
        name = 'fast' if fast else 'standard'
        r = _runner(tiny_cifar_config(cifar_root, str(tmp_path / name), fast=fast, extra=no_aug),
                    val_cfg=None, val_dataloader=None, val_evaluator=None,
                    experiment_name=f'parity_{name}')
        assert (type(r.train_loop).__name__ == 'GPUEpochBasedTrainLoop') == fast
        r.train()
        runs[name] = (r.model.state_dict(), r.message_hub.get_scalar('train/loss').data[0],
                      len(r.train_dataloader))
    (std, std_loss, per_epoch), (fast, fast_loss, _) = runs['standard'], runs['fast']
    assert len(std_loss) == 2 * per_epoch and len(std) == len(fast)
    np.testing.assert_array_equal(fast_loss, std_loss)
    for (k, a), b in zip(std.items(), fast.values()):
        assert torch.equal(a, b), k


class _IterRecorder(Hook):
    """Acts through the mode-generic ``_before_iter``/``_after_iter`` methods."""

    def __init__(self, calls):
        self.calls = calls

    def _before_iter(self, runner, batch_idx, data_batch=None, mode='train'):
        self.calls.append(('before', mode, batch_idx))

    def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None, mode='train'):
        self.calls.append(('after', mode, batch_idx))


def test_iteration_hooks_reach_every_hook_that_acts(cifar_root, tmp_path, tiny_cifar_config):
    """The loop calls only the hooks that act at an iteration stage, found once per epoch: those
    overriding the stage or its mode-generic method, and those given the method on the object."""
    r = _runner(tiny_cifar_config(cifar_root, str(tmp_path / 'w'), max_epochs=2),
                val_cfg=None, val_dataloader=None, val_evaluator=None)
    calls = []
    r.register_hook(_IterRecorder(calls), priority='LOWEST')
    patched = Hook()  # a plain hook with its method replaced on the object
    patched.after_train_iter = lambda runner, batch_idx, data_batch=None, outputs=None: \
        calls.append(('patched', batch_idx, sorted(outputs or {})))
    r.register_hook(patched, priority='LOWEST')
    r.train()
    per_epoch = len(r.train_dataloader)
    want = []
    for _ in range(2):
        for i in range(per_epoch):
            want += [('before', 'train', i), ('after', 'train', i), ('patched', i, ['loss'])]
    assert calls == want
    assert len(r.message_hub.get_scalar('train/time').data[0]) == 2 * per_epoch  # IterTimerHook


# ----------------------------------------------------------------------------------------------
# device-resident loaders for hooks
# ----------------------------------------------------------------------------------------------
class _AskedLoop:
    """A train loop offering device loaders; records what it was asked for."""

    def __init__(self):
        self.asked = []

    def device_loader(self, loader):
        self.asked.append(loader)
        return types.SimpleNamespace(cpu=loader, dataset=loader.dataset,
                                     batch_size=loader.batch_size, sampler=loader.sampler)


class _MetaModel(torch.nn.Module):

    def set_meta_loader(self, loader):
        self.meta = loader


def _hook_runner(loop):
    return types.SimpleNamespace(model=_MetaModel(), seed=0, train_loop=loop,
                                 build_dataloader=Runner.build_dataloader,
                                 logger=types.SimpleNamespace(info=lambda msg: None))


def test_difficulty_net_hook_asks_the_loop_for_device_loaders():
    meta = dict(batch_size=4, num_workers=0, dataset=list(range(10)))
    loop = _AskedLoop()
    runner = _hook_runner(loop)
    hook = DifficultyNetHook(meta_dataloader=meta, acc_batch_size=5)
    hook.before_train(runner)
    assert [type(x) for x in loop.asked] == [DataLoader, DataLoader]
    assert [hook.meta_loader.cpu, hook.acc_loader.cpu] == loop.asked
    assert loop.asked[1].batch_size == 5 and len(loop.asked[1].dataset) == 10
    assert runner.model.meta is hook._iter and hook._iter.loader is hook.meta_loader
    # a standard loop offers nothing: the hook keeps its DataLoaders
    runner = _hook_runner(object())
    hook.before_train(runner)
    assert isinstance(hook.meta_loader, DataLoader) and isinstance(hook.acc_loader, DataLoader)


def test_device_loader_only_for_deterministic_loaders(cifar_root, tmp_path, tiny_cifar_config):
    r = _runner(tiny_cifar_config(cifar_root, str(tmp_path / 'dl'), max_epochs=1))
    loop = r.train_loop
    val = r.build_dataloader(r.cfg.val_dataloader)  # PackInputs only: deterministic
    dl = loop.device_loader(val)
    assert isinstance(dl, DeviceDataLoader) and dl.sampler is val.sampler
    got, want = next(iter(dl)), next(iter(val))
    assert torch.equal(got['inputs'], torch.stack(want['inputs']))
    assert loop.device_loader(loop.dataloader) is loop.dataloader  # the training loader
    train_like = r.build_dataloader(r.cfg.train_dataloader)  # random pipeline
    assert loop.device_loader(train_like) is train_like
    loop.device_aux_loaders = False
    assert loop.device_loader(val) is val


DN_EXTRA = '''
model = dict(type='DifficultyNetClassifier',
             difficulty_net=dict(type='DifficultyNet', hidden_dims=(16, 16), bias=False))
train_dataloader['dataset'].update(meta_per_class=4, selection='first')
val_dataloader['dataset'].update(meta_per_class=4)
meta_dataloader = dict(batch_size=10, num_workers=0, dataset=dict(
    type='CIFAR10LT', data_root='{root}', split='train', imbalance_factor=10, meta_per_class=4,
    subset='meta', pipeline=[dict(type='PackInputs')]),
    sampler=dict(type='DefaultSampler', shuffle=True))
custom_hooks = [dict(type='LongTailLossHook'),
                dict(type='DifficultyNetHook', meta_dataloader=meta_dataloader, acc_batch_size=16)]
optim_wrapper = dict(_delete_=True, constructor='DifficultyNetOptimWrapperConstructor',
                     model=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
                     difficulty_net=dict(optimizer=dict(type='Adam', lr=1e-4)))
param_scheduler = dict(_delete_=True, difficulty_net=[], model=[
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True)])
'''


def test_difficulty_net_custom_train_step_on_the_fast_path(cifar_root, tmp_path,
                                                           tiny_cifar_config):
    """A model with its own train_step (and a hook-built meta loader) runs on the fast path; its
    batches and meta batches as LabelBatch give the losses of DataSample lists."""
    runs = {}
    for label_batch in (True, False):
        extra = DN_EXTRA.format(root=cifar_root) + (
            f'fast_path = dict(train=dict(label_batch={label_batch}))')
        path = tiny_cifar_config(cifar_root, str(tmp_path / f'dn_{label_batch}'), max_epochs=1,
                                 extra=extra)
        runs[label_batch] = r = _runner(path, experiment_name=f'dn_label_batch_{label_batch}')
        r.train()
        hook = next(h for h in r.hooks if isinstance(h, DifficultyNetHook))
        # the hook asked the loop: its meta/accuracy loaders iterate device-resident data
        assert isinstance(hook.meta_loader, DeviceDataLoader)
        assert isinstance(hook.acc_loader, DeviceDataLoader)
        assert hook._iter.loader is hook.meta_loader
        assert r.train_loop.label_batch is hook.meta_loader.label_batch is label_batch
        assert len(r.message_hub.get_scalar('train/loss_meta').data[0]) == r.iter
        assert float(r.model.class_acc.sum()) > 0  # a was recomputed after the epoch
    for key in ('train/loss', 'train/loss_meta', 'train/dn_weight_max'):
        got, want = (runs[lb].message_hub.get_scalar(key).data[0] for lb in (True, False))
        np.testing.assert_array_equal(got, want)
    metrics = runs[True].val_loop.run()
    assert 'lt/top1' in metrics
