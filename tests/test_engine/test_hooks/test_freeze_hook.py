"""FreezeHook: frozen weights and BatchNorm statistics stay bit-identical through training steps
(model.train() included), the DDP refusal, clear errors."""
import copy

import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.model import MMDistributedDataParallel
from mmpretrain.registry import HOOKS

import mmltr  # noqa: F401
from mmltr.engine.hooks import FreezeHook


class Net(nn.Module):
    """A backbone with BatchNorm and dropout, a neck-less linear head."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                                      nn.Dropout(0.5), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        return self.head(self.backbone(x))


def _train(model, steps=3, seed=0):
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9, weight_decay=1e-2)
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        model.train()  # what the training loops do every epoch
        x, y = torch.randn(8, 3, 6, 6, generator=g), torch.randint(0, 3, (8, ), generator=g)
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def test_frozen_weights_and_bn_statistics_are_bit_identical(fake_runner):
    torch.manual_seed(0)
    model = Net()
    before = copy.deepcopy(model.state_dict())
    runner = fake_runner(model)
    HOOKS.build(dict(type='FreezeHook', modules=['backbone'])).before_run(runner)
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.head.parameters())
    _train(model)
    after = model.state_dict()
    for k, v in before.items():
        if k.startswith('backbone.'):
            assert torch.equal(v, after[k]), k  # weights, running_mean/var, num_batches_tracked
    assert not torch.equal(before['head.weight'], after['head.weight'])
    # model.train() was called, but the frozen part is back in eval mode at every forward
    assert not model.backbone.training and model.head.training
    assert all(not m.training for m in model.backbone.modules())
    assert 'froze backbone' in runner.logger.last


def test_without_the_hook_the_same_training_changes_bn(fake_runner):
    """The check above is not vacuous: unfrozen, the same steps move the BN statistics."""
    torch.manual_seed(0)
    model = Net()
    before = copy.deepcopy(model.state_dict())
    _train(model)
    assert not torch.equal(before['backbone.1.running_mean'],
                           model.state_dict()['backbone.1.running_mean'])


def test_dotted_names_and_errors(fake_runner):
    model = Net()
    FreezeHook(modules='backbone.1').before_run(fake_runner(model))
    assert not model.backbone[1].weight.requires_grad and model.backbone[0].weight.requires_grad
    with pytest.raises(ValueError, match=r"no sub-module \['neck'\].*top-level modules are "
                       r"\['backbone', 'head'\]"):
        FreezeHook(modules=('backbone', 'neck')).before_run(fake_runner(Net()))
    with pytest.raises(ValueError, match='leaves no trainable parameter'):
        FreezeHook(modules=('backbone', 'head')).before_run(fake_runner(Net()))
    with pytest.raises(ValueError, match='sub-module names'):
        FreezeHook(modules=[])


def test_test_runs_are_untouched(fake_runner):
    model = Net()
    FreezeHook(modules='backbone').before_run(fake_runner(model, training=False))
    assert all(p.requires_grad for p in model.parameters())


@pytest.fixture
def one_process_group(free_port):
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{free_port}', rank=0,
                            world_size=1)
    yield
    dist.destroy_process_group()


def test_ddp_needs_find_unused_parameters(fake_runner, one_process_group):
    wrapped = MMDistributedDataParallel(Net(), find_unused_parameters=False)
    with pytest.raises(ValueError, match='find_unused_parameters=True'):
        FreezeHook(modules='backbone').before_run(fake_runner(wrapped))
    assert all(p.requires_grad for p in wrapped.module.parameters())  # refused before freezing

    torch.manual_seed(0)
    wrapped = MMDistributedDataParallel(Net(), find_unused_parameters=True)
    before = copy.deepcopy(wrapped.module.state_dict())
    FreezeHook(modules='backbone').before_run(fake_runner(wrapped))
    _train(wrapped)  # several iterations: DDP would raise at the second one without the flag
    for k, v in before.items():
        if k.startswith('backbone.'):
            assert torch.equal(v, wrapped.module.state_dict()[k]), k
    assert all(p.grad is None for p in wrapped.module.backbone.parameters())
