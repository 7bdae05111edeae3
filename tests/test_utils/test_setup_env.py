"""The tools' start-up checks (mmltr.utils.setup_env)."""
from mmengine.config import Config

from mmltr.utils import lr_batch_mismatch


def _cfg(batch_size=64, base=256, enable=False):
    return Config(dict(train_dataloader=dict(batch_size=batch_size),
                       auto_scale_lr=dict(base_batch_size=base, enable=enable)))


def test_lr_batch_mismatch_names_both_batches_and_the_flag():
    msg = lr_batch_mismatch(_cfg(batch_size=64, base=256), world_size=1)
    assert msg is not None
    assert 'total training batch is 64 (1 process(es) x 64)' in msg
    assert 'total batch of 256' in msg and '--auto-scale-lr' in msg
    assert '2 process(es) x 64' in lr_batch_mismatch(_cfg(), world_size=2)


def test_lr_batch_mismatch_silent_when_the_batch_matches_or_the_lr_is_scaled():
    assert lr_batch_mismatch(_cfg(batch_size=64, base=256), world_size=4) is None
    assert lr_batch_mismatch(_cfg(batch_size=64, base=256, enable=True), world_size=1) is None
    no_base = Config(dict(train_dataloader=dict(batch_size=64)))
    assert lr_batch_mismatch(no_base, world_size=1) is None
