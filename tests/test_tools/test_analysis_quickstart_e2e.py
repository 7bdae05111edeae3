"""Every analysis tool runs end to end on a checkpoint of the quickstart config (DBM-BS,
Fashion-MNIST-LT) trained for one epoch on a real Fashion-MNIST subset, and each PNG it writes
is a real figure (size, non-blank content) with its JSON beside it."""
import json
import os.path as osp
import sys

import pytest
from _tools import run_ok

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QUICKSTART = osp.join(ROOT, 'configs', 'quickstart',
                      'dbm-bs_resnet32_1xb64_fashion-mnist-lt-if500.py')


@pytest.fixture(scope='module')
def quickstart_checkpoint(fashion_mnist_subset, tmp_path_factory):
    """``(config, checkpoint)``: the quickstart config on the subset (IF 100, so every class
    keeps >= 3 images), one epoch."""
    from mmengine.config import Config

    from mmltr.utils import build_runner
    tmp = tmp_path_factory.mktemp('quickstart_e2e')
    loader = (f"dict(num_workers=0, persistent_workers=False, dataset=dict(imbalance_factor=100, "
              f"dataset=dict(data_root='{fashion_mnist_subset}')))")
    config = tmp / 'quickstart_subset.py'
    config.write_text(f"_base_ = ['{QUICKSTART}']\n"
                      f"train_dataloader = {loader}\nval_dataloader = {loader}\n"
                      f"test_dataloader = {loader}\n"
                      "train_cfg = dict(max_epochs=1, val_interval=1)\n"
                      "default_hooks = dict(logger=dict(interval=10))\n")
    cfg = Config.fromfile(str(config))
    cfg.work_dir = str(tmp / 'work')
    build_runner(cfg).train()
    ckpt = osp.join(cfg.work_dir, 'epoch_1.pth')
    assert osp.isfile(ckpt)
    return str(config), ckpt


def _run(tool, *args):
    run_ok([sys.executable, osp.join(ROOT, 'tools', 'analysis', tool), *args])


def _check_figure(prefix):
    from matplotlib import image
    img = image.imread(f'{prefix}.png')
    assert img.shape[0] >= 200 and img.shape[1] >= 300, img.shape
    gray = img[..., :3].mean(axis=-1)
    assert gray.std() > 0.05  # not blank
    assert (gray < 0.5).mean() > 0.005  # something is drawn in dark ink
    with open(f'{prefix}.json') as f:
        assert json.load(f)


@pytest.mark.parametrize('tool', ['per_class', 'confusion', 'feature_angles', 'margins'])
def test_tool_on_the_quickstart_checkpoint(tool, quickstart_checkpoint, tmp_path):
    config, ckpt = quickstart_checkpoint
    out = str(tmp_path / tool)
    if tool == 'margins':
        _run('margins.py', config, '--checkpoint', ckpt, '--out', out)
    else:
        _run(f'{tool}.py', config, ckpt, '--out', out)
    _check_figure(out)
    if tool == 'per_class':
        with open(f'{out}.json') as f:
            data = json.dumps(json.load(f))
        assert 'NaN' not in data
