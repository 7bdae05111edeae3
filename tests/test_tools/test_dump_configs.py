"""tools/misc/dump_configs.py: one resolved text per leaf config, and ``--fill-defaults``."""
import os.path as osp
import sys

from mmltr.models.heads import CosineClsHead
from mmltr.models.losses import DBMLoss

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools', 'misc'))
import dump_configs  # noqa: E402


def test_constructor_defaults_follow_kwargs_into_mmltr_bases_only():
    dbm = dump_configs.constructor_defaults(DBMLoss)
    assert (dbm['K'], dbm['tau'], dbm['scale'], dbm['lambda_inst'], dbm['base']) == (
        0.1, 1.0, 32.0, 1.0, 'ce')
    head = dump_configs.constructor_defaults(CosineClsHead)
    assert head['scale'] is None and head['loss_input'] == 'auto'
    assert 'topk' not in head  # MMPretrain's ClsHead's own arguments are left alone
    assert 'num_classes' not in head  # no default: never invented


def test_fill_defaults_completes_mmltr_models_only():
    cfg = dict(model=dict(
        type='ImageClassifier', backbone=dict(type='ResNet', depth=50),
        head=dict(type='CosineClsHead', num_classes=3, in_channels=8,
                  loss=dict(type='DBMLoss', base='bs'))),
        losses=[dict(type='BalancedSoftmaxLoss')])
    dump_configs.fill_defaults(cfg)
    model = cfg['model']
    assert set(model) == {'type', 'backbone', 'head'}  # MMPretrain's classes: untouched
    assert model['backbone'] == dict(type='ResNet', depth=50)
    assert model['head']['loss_input'] == 'auto' and model['head']['num_classes'] == 3
    loss = model['head']['loss']
    assert loss['base'] == 'bs' and loss['K'] == 0.1 and loss['drw_epoch'] == 160  # kept / filled
    assert cfg['losses'][0]['tau'] == 1.0


def test_omitted_defaults_dump_like_spelled_out_ones(tmp_path):
    root = tmp_path / 'configs'
    (root / '_base_').mkdir(parents=True)
    (root / '_base_' / 'model.py').write_text(
        "model = dict(type='ImageClassifier', backbone=dict(type='ResNet32_CIFAR'),\n"
        "             neck=dict(type='GlobalAveragePooling'),\n"
        "             head=dict(type='CosineClsHead', num_classes=10, in_channels=64,\n"
        "                       loss=dict(type='DBMLoss', K=0.1, tau=1.0, base='bs')))\n")
    (root / 'spelled.py').write_text("_base_ = ['./_base_/model.py']\n")
    (root / 'omitted.py').write_text(
        "_base_ = ['./_base_/model.py']\n"
        "model = dict(head=dict(loss=dict(_delete_=True, type='DBMLoss', base='bs')))\n")
    (root / 'other.py').write_text(
        "_base_ = ['./_base_/model.py']\nmodel = dict(head=dict(loss=dict(tau=0.5)))\n")
    plain, filled = tmp_path / 'plain', tmp_path / 'filled'
    dump_configs.main(['--root', str(root), '--out-dir', str(plain)])
    dump_configs.main(['--root', str(root), '--out-dir', str(filled), '--fill-defaults'])
    assert sorted(p.name for p in filled.iterdir()) == ['omitted.txt', 'other.txt', 'spelled.txt']
    assert (plain / 'omitted.txt').read_text() != (plain / 'spelled.txt').read_text()
    assert (filled / 'omitted.txt').read_text() == (filled / 'spelled.txt').read_text()
    assert (filled / 'other.txt').read_text() != (filled / 'spelled.txt').read_text()
    assert 'lambda_inst=1.0' in (filled / 'omitted.txt').read_text()
