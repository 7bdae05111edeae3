"""mmltr.compat: mmengine 0.10.7 checkpoints load on torch>=2.6 (weights_only default)."""
import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint, save_checkpoint

import mmltr.compat as compat


def _mmengine_style_checkpoint(path):
    hub = MessageHub.get_instance('mmltr-test-compat')
    hub.update_scalar('train/loss', 1.5)
    hub.update_info('epoch', 3)
    ckpt = dict(
        meta=dict(epoch=3, iter=30, seed=np.int64(0), hook_msgs=dict(best_score=np.float64(0.5))),
        state_dict=dict(w=torch.ones(2)),
        message_hub=hub.state_dict(),
    )
    save_checkpoint(ckpt, str(path))
    return ckpt


def test_plain_torch_load_rejects_mmengine_checkpoint(tmp_path):
    # The problem mmltr fixes: torch>=2.6 refuses these pickles by default.
    path = tmp_path / 'epoch_3.pth'
    _mmengine_style_checkpoint(path)
    if not compat._torch_load_supports_weights_only():
        pytest.skip('torch without weights_only')
    major, minor = (int(x) for x in torch.__version__.split('.')[:2])
    if (major, minor) < (2, 6):
        pytest.skip('weights_only defaults to False before torch 2.6')
    with pytest.raises(Exception, match='(?i)weights_only|unpickl|not an allowed global'):
        torch.load(str(path))


def test_patched_loader_reads_history_buffers_and_numpy(tmp_path):
    path = tmp_path / 'epoch_3.pth'
    _mmengine_style_checkpoint(path)
    ckpt = _load_checkpoint(str(path), map_location='cpu')
    assert ckpt['meta']['epoch'] == 3
    assert ckpt['meta']['seed'] == 0
    torch.testing.assert_close(ckpt['state_dict']['w'], torch.ones(2))
    buffers = ckpt['message_hub']['log_scalars']
    assert isinstance(buffers['train/loss'], HistoryBuffer)
    assert buffers['train/loss'].current() == 1.5


def test_patch_is_registered_and_idempotent():
    compat.patch_checkpoint_loader()
    compat.patch_checkpoint_loader()
    assert CheckpointLoader._schemes[''] is compat.load_from_local_trusted


def test_missing_checkpoint_names_the_path(tmp_path):
    missing = tmp_path / 'nope.pth'
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        _load_checkpoint(str(missing))
