"""PerClassAccuracyHook + ShotAccuracy: per-evaluation JSON under the work dir, strict-JSON
scalars, per-class scalars for tracking backends."""
import json
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.registry import VISBACKENDS
from mmengine.runner import Runner
from mmengine.visualization import BaseVisBackend

import mmltr  # noqa: F401
from mmltr.engine.hooks import PerClassAccuracyHook
from mmltr.evaluation.metrics import ShotAccuracy
from mmltr.evaluation.metrics.shot_accuracy import EVAL_NAME_KEY, WORK_DIR_KEY

RECORDED = []


@VISBACKENDS.register_module(force=True)
class RecordingVisBackend(BaseVisBackend):
    """A tracking backend that keeps what it is given (stands in for TensorBoard/WandB)."""

    @property
    def experiment(self):
        return self

    def _init_env(self):
        pass

    def add_scalar(self, name, value, step=0, **kwargs):
        pass

    def add_scalars(self, scalar_dict, step=0, file_path=None, **kwargs):
        if any(k.startswith('lt/per_class/') for k in scalar_dict):
            RECORDED.append((dict(scalar_dict), step))


def _strict(text):
    def refuse(name):
        raise ValueError(f'bare {name} in JSON')
    return json.loads(text, parse_constant=refuse)


def _evaluate(metric, pairs, num_classes):
    metric.process(None, [dict(gt_label=g, pred_label=p, pred_score=np.eye(num_classes)[p])
                          for p, g in pairs])
    return metric.compute_metrics(metric.results)


@pytest.fixture
def hub():
    hub = MessageHub.get_current_instance()
    yield hub
    for key in (WORK_DIR_KEY, EVAL_NAME_KEY):
        hub.pop_info(key, None)


def test_dump_resolves_under_the_work_dir(hub, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    counts = [500, 300]  # no few class: an empty group
    # outside a run: per_class=True writes nothing, a relative path resolves against the cwd
    _evaluate(ShotAccuracy(class_counts=counts, per_class=True), [(0, 0)], 2)
    assert not (tmp_path / 'per_class').exists()
    _evaluate(ShotAccuracy(class_counts=counts, dump_per_class='pc.json'), [(0, 0)], 2)
    assert (tmp_path / 'pc.json').is_file()
    # inside a run: per_class/<evaluation>.json under the work dir, one file per evaluation
    work_dir = tmp_path / 'run'
    hub.update_info(WORK_DIR_KEY, str(work_dir))
    for epoch in (1, 2):
        hub.update_info(EVAL_NAME_KEY, f'epoch_{epoch}')
        result = _evaluate(ShotAccuracy(class_counts=counts, per_class=True),
                           [(0, 0), (0, 1)] if epoch == 1 else [(0, 0), (1, 1)], 2)
    assert result['few'] is None and result['per_class'] == [100.0, 100.0]
    first = _strict((work_dir / 'per_class' / 'epoch_1.json').read_text())
    second = _strict((work_dir / 'per_class' / 'epoch_2.json').read_text())
    assert [c['accuracy'] for c in first['classes']] == [100.0, 0.0]
    assert [c['accuracy'] for c in second['classes']] == [100.0, 100.0]
    assert first['metrics']['few'] is None
    # a relative folder / a .json file; an absolute path stays where it is
    hub.update_info(EVAL_NAME_KEY, 'test')
    _evaluate(ShotAccuracy(class_counts=counts, dump_per_class='out'), [(0, 0)], 2)
    assert (work_dir / 'out' / 'test.json').is_file()
    _evaluate(ShotAccuracy(class_counts=counts, dump_per_class='one.json'), [(0, 0)], 2)
    assert (work_dir / 'one.json').is_file()
    _evaluate(ShotAccuracy(class_counts=counts, dump_per_class=str(tmp_path / 'abs.json')),
              [(0, 0)], 2)
    assert (tmp_path / 'abs.json').is_file()


def test_hook_rejects_a_string_of_backends():
    with pytest.raises(TypeError, match='backends'):
        PerClassAccuracyHook(backends='TensorboardVisBackend')


def test_training_run_writes_per_epoch_json_and_tracker_scalars(fake_cifar, tiny_cifar_config,
                                                                tmp_path):
    RECORDED.clear()
    work_dir = str(tmp_path / 'work')
    fake_cifar(str(tmp_path / 'data'))
    extra = '''
val_evaluator = [dict(type='ShotAccuracy', many_thr=15, few_thr=5, per_class=True)]
test_evaluator = val_evaluator
custom_hooks = [dict(type='LongTailLossHook'),
                dict(type='PerClassAccuracyHook', backends=['RecordingVisBackend'])]
vis_backends = [dict(type='LocalVisBackend'), dict(type='RecordingVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
'''
    path = tiny_cifar_config(str(tmp_path / 'data'), work_dir, max_epochs=2, fast=False,
                             extra=extra)
    cfg = Config.fromfile(path)
    runner = Runner.from_cfg(cfg)
    runner.train()
    runner.test()
    names = [f'lt/per_class/{c}' for c in runner.val_evaluator.dataset_meta['classes']]
    for epoch in (1, 2):
        data = _strict(open(osp.join(work_dir, 'per_class', f'epoch_{epoch}.json')).read())
        assert len(data['classes']) == 10
        scalars, step = [r for r in RECORDED if r[1] == epoch][0]
        assert step == epoch
        assert sorted(scalars) == sorted(names)
        assert [scalars[n] for n in names] == [c['accuracy'] for c in data['classes']]
    assert osp.isfile(osp.join(work_dir, 'per_class', 'test.json'))
    # scalars.json: strict JSON on every line, no per-class keys (LocalVisBackend is not a tracker)
    lines = open(osp.join(runner.log_dir, 'vis_data', 'scalars.json')).read().splitlines()
    records = [_strict(line) for line in lines]
    assert any('lt/top1' in r for r in records)
    assert not any(k.startswith('lt/per_class') for r in records for k in r)
