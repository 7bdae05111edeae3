"""ShotAccuracy: many/medium/few accuracy on hand-made predictions with hand-computed answers."""
import json

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from mmpretrain.registry import METRICS, MODELS
from mmpretrain.structures import DataSample

import mmltr  # noqa: F401  (registers ShotAccuracy)
from mmltr.evaluation.metrics import ShotAccuracy

# Hand-made case. Training counts and groups (many: n > 100, medium: 20 <= n <= 100, few: n < 20):
#   class 0: 500 many | 1: 101 many | 2: 100 medium | 3: 20 medium | 4: 19 few | 5: 5 few
COUNTS = [500, 101, 100, 20, 19, 5]
# (class, test samples, correct); class 5 has no test sample.
TEST = [(0, 4, 3), (1, 2, 1), (2, 5, 5), (3, 4, 2), (4, 2, 1)]
# per class: 75, 50, 100, 50, 50, (none)
EXPECTED = {
    'top1': 12 / 17 * 100,  # 12 correct out of 17 samples
    'many': (75 + 50) / 2,  # 62.5 — the mean of classes, not the pooled 4/6 = 66.7
    'medium': (100 + 50) / 2,  # 75.0
    'few': 50.0,  # class 5 has no test sample: left out, not counted as 0 (which would give 25)
    'mean_class': (75 + 50 + 100 + 50 + 50) / 5,  # 65.0
}


def hand_made_pairs():
    """(pred, gt) pairs: wrong predictions go to class 5 (which has no test sample)."""
    pairs = []
    for cls, n, correct in TEST:
        pairs += [(cls, cls)] * correct + [(5, cls)] * (n - correct)
    return pairs


def make_samples(pairs, num_classes=6, with_score=True):
    samples = []
    for pred, gt in pairs:
        ds = DataSample().set_gt_label(gt).set_pred_label(pred)
        if with_score:
            score = torch.full((num_classes, ), 0.01)
            score[pred] = 1.0
            ds.set_pred_score(score)
        samples.append(ds.to_dict())  # what mmengine's Evaluator hands to metrics
    return samples


def run_metric(metric, pairs, dataset_meta=None, **kwargs):
    if dataset_meta is not None:
        metric.dataset_meta = dataset_meta
    metric.process(None, make_samples(pairs, **kwargs))
    return metric.compute_metrics(metric.results)


def assert_close(result, expected):
    for key, value in expected.items():
        if value is None:
            assert result[key] is None, key
        else:
            assert result[key] == pytest.approx(value), key


def test_hand_made_groups_with_explicit_counts():
    result = run_metric(ShotAccuracy(class_counts=COUNTS, per_class=True), hand_made_pairs())
    assert_close(result, EXPECTED)
    assert result['per_class'][:5] == pytest.approx([75, 50, 100, 50, 50])
    assert result['per_class'][5] is None  # no test sample: None, never NaN
    assert set(result) == {'top1', 'many', 'medium', 'few', 'mean_class', 'per_class'}
    assert all(isinstance(v, float) for k, v in result.items() if k != 'per_class')


def test_per_class_off_by_default():
    result = run_metric(ShotAccuracy(class_counts=COUNTS), hand_made_pairs())
    assert 'per_class' not in result


def test_empty_group_is_none_cifar10_lt():
    counts = [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]  # CIFAR-10-LT IF100
    pairs = [(c, c) for c in range(10)] + [(0, c) for c in range(1, 10)]  # 50% per class but 0
    result = run_metric(ShotAccuracy(class_counts=counts), pairs, num_classes=10)
    assert result['few'] is None  # no class has < 20 images (null in JSON, never NaN)
    assert result['many'] == pytest.approx((100 + 7 * 50) / 8)
    assert result['medium'] == pytest.approx(50.0)  # classes 8 (83) and 9 (50)
    assert result['top1'] == pytest.approx(10 / 19 * 100)
    assert result['mean_class'] == pytest.approx((100 + 9 * 50) / 10)


def test_group_without_test_samples_is_none():
    # classes 4 and 5 (the few group) get no test sample at all; (pred, gt) pairs
    pairs = [(0, 0), (1, 1), (2, 2), (0, 2)]
    result = run_metric(ShotAccuracy(class_counts=COUNTS), pairs)
    assert result['few'] is None
    assert result['many'] == pytest.approx(100.0)
    assert result['medium'] == pytest.approx(50.0)  # class 3 has no test sample: not a 0
    assert result['mean_class'] == pytest.approx((100 + 100 + 50) / 3)


@pytest.mark.parametrize('count,group', [(101, 'many'), (100, 'medium'), (20, 'medium'),
                                         (19, 'few'), (0, 'few')])
def test_threshold_boundaries(count, group):
    # class 0 (the probe) is always right, class 1 (600 images, many) always wrong
    counts = [count, 600]
    result = run_metric(ShotAccuracy(class_counts=counts), [(0, 0), (0, 1)], num_classes=2)
    others = {'many', 'medium', 'few'} - {group}
    assert result[group] == pytest.approx(100.0 if group != 'many' else 50.0)
    for other in others:
        if other == 'many':
            assert result['many'] == pytest.approx(0.0)
        else:
            assert result[other] is None


def test_configurable_thresholds():
    metric = ShotAccuracy(many_thr=50, few_thr=5, class_counts=COUNTS)
    groups = metric._groups(np.asarray(COUNTS))
    assert list(groups) == ['many', 'many', 'many', 'medium', 'medium', 'medium']
    result = run_metric(metric, hand_made_pairs())
    assert result['many'] == pytest.approx((75 + 50 + 100) / 3)
    assert result['medium'] == pytest.approx(50.0)
    assert result['few'] is None
    # equal thresholds are allowed: medium is then exactly n == thr
    metric = ShotAccuracy(many_thr=20, few_thr=20, class_counts=COUNTS)
    assert list(metric._groups(np.asarray(COUNTS))) == ['many'] * 3 + ['medium'] + ['few'] * 2


@pytest.mark.parametrize('kwargs', [dict(many_thr=20, few_thr=100), dict(many_thr='100'),
                                    dict(few_thr=float('nan')), dict(class_counts=[1, -2]),
                                    dict(class_counts=[1.5, 2]), dict(class_counts=[]),
                                    dict(class_counts=[float('inf'), 2]),
                                    dict(class_counts=[[1, 2]])])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        ShotAccuracy(**kwargs)


def test_bad_counts_name_their_source():
    with pytest.raises(ValueError, match='ShotAccuracy: the class_counts argument must be a '
                       'non-empty flat list'):
        ShotAccuracy(class_counts=[])
    with pytest.raises(ValueError, match='ShotAccuracy: the class_counts argument must hold '
                       'non-negative integers'):
        ShotAccuracy(class_counts=torch.tensor([3.0, -1.0]))
    with pytest.raises(ValueError, match=r"ShotAccuracy: dataset_meta\['class_counts'\] must hold"):
        ShotAccuracy().dataset_meta = dict(classes=['a', 'b'], class_counts=(1, 0.5))


def test_counts_from_dataset_meta_and_explicit_override():
    meta = dict(classes=[f'c{i}' for i in range(6)], class_counts=tuple(COUNTS))
    result = run_metric(ShotAccuracy(), hand_made_pairs(), dataset_meta=meta)
    assert_close(result, EXPECTED)

    # The explicit argument wins: with these counts classes 0-2 are few, 3-5 many.
    explicit = [1, 2, 3, 1000, 1000, 1000]
    result = run_metric(ShotAccuracy(class_counts=explicit), hand_made_pairs(), dataset_meta=meta)
    assert result['few'] == pytest.approx((75 + 50 + 100) / 3)
    assert result['many'] == pytest.approx(50.0)
    assert result['medium'] is None


def test_error_when_no_counts():
    metric = ShotAccuracy()
    with pytest.raises(ValueError, match='class_counts'):
        metric.dataset_meta = dict(classes=['a', 'b'])  # raised as soon as the loop sets the meta
    metric = ShotAccuracy()
    metric.process(None, make_samples([(0, 0)], num_classes=2))
    with pytest.raises(ValueError, match='class_counts'):
        metric.compute_metrics(metric.results)  # no dataset_meta at all


def test_error_on_length_mismatch():
    meta = dict(classes=['a', 'b', 'c'], class_counts=(10, 200, 5))
    with pytest.raises(ValueError, match='3 entries but the number of classes is 6'):
        run_metric(ShotAccuracy(), hand_made_pairs(), dataset_meta=meta)
    with pytest.raises(ValueError, match="len\\(dataset_meta\\['classes'\\]\\)"):
        ShotAccuracy(class_counts=COUNTS).dataset_meta = dict(classes=['a', 'b'])
    with pytest.raises(ValueError, match="dataset_meta\\['class_counts'\\] has 2 entries"):
        ShotAccuracy().dataset_meta = dict(classes=['a', 'b', 'c'], class_counts=[1, 2])
    # no classes in the meta: the size of pred_score is the number of classes
    with pytest.raises(ValueError, match='pred_score'):
        run_metric(ShotAccuracy(class_counts=[10, 20, 30]), [(0, 0)], num_classes=4)
    # no scores either: labels beyond the counts are caught
    with pytest.raises(ValueError, match='labels must lie in'):
        run_metric(ShotAccuracy(class_counts=[10, 20]), [(0, 3)], with_score=False)


def test_pred_label_fallback_to_argmax_and_missing_keys():
    metric = ShotAccuracy(class_counts=[200, 50, 5])
    score = torch.tensor([0.1, 0.7, 0.2])
    metric.process(None, [dict(gt_label=torch.tensor([1]), pred_score=score)])
    assert metric.results == [(1, 1, 3)]
    with pytest.raises(KeyError, match='pred_label'):
        metric.process(None, [dict(gt_label=torch.tensor([1]))])
    with pytest.raises(KeyError, match='gt_label'):
        metric.process(None, [dict(pred_label=torch.tensor([1]))])
    with pytest.raises(ValueError, match='one `gt_label`'):
        metric.process(None, [dict(gt_label=torch.tensor([0, 1]), pred_label=torch.tensor([1]))])


def test_dump_per_class(tmp_path):
    path = tmp_path / 'sub' / 'per_class.json'
    meta = dict(classes=[f'c{i}' for i in range(6)], class_counts=COUNTS)
    result = run_metric(ShotAccuracy(dump_per_class=str(path)), hand_made_pairs(),
                        dataset_meta=meta)
    data = json.loads(path.read_text())
    assert data['many_thr'] == 100 and data['few_thr'] == 20
    assert data['num_classes_per_group'] == {'many': 2, 'medium': 2, 'few': 2}
    assert data['metrics']['few'] == pytest.approx(EXPECTED['few'])
    assert data['metrics']['top1'] == pytest.approx(result['top1'])
    classes = data['classes']
    assert [c['name'] for c in classes] == meta['classes']
    assert [c['train_count'] for c in classes] == COUNTS
    assert [c['test_count'] for c in classes] == [4, 2, 5, 4, 2, 0]
    assert [c['correct'] for c in classes] == [3, 1, 5, 2, 1, 0]
    assert [c['group'] for c in classes] == ['many', 'many', 'medium', 'medium', 'few', 'few']
    assert [c['accuracy'] for c in classes] == [75.0, 50.0, 100.0, 50.0, 50.0, None]

    # an empty group is written as null (strict JSON, no NaN)
    counts = [500, 300]
    run_metric(ShotAccuracy(class_counts=counts, dump_per_class=str(path)), [(0, 0), (1, 1)],
               num_classes=2)
    text = path.read_text()
    assert 'NaN' not in text
    assert json.loads(text)['metrics']['few'] is None


def test_process_stores_o1_per_sample():
    num_classes = 1000
    metric = ShotAccuracy(class_counts=[50] * num_classes)
    pairs = [(i % num_classes, (i * 7) % num_classes) for i in range(64)]
    metric.process(None, make_samples(pairs, num_classes=num_classes))
    assert len(metric.results) == 64
    for item in metric.results:
        assert isinstance(item, tuple) and len(item) == 3
        assert all(type(v) is int for v in item)  # no tensor / array, let alone one of size C
    assert metric.results[0] == (0, 0, num_classes)


def test_through_mmengine_evaluator():
    init_default_scope('mmpretrain')
    evaluator = Evaluator(dict(type='ShotAccuracy', per_class=True))
    assert isinstance(evaluator.metrics[0], ShotAccuracy)
    evaluator.dataset_meta = dict(classes=[f'c{i}' for i in range(6)], class_counts=COUNTS)
    pairs = hand_made_pairs()
    samples = []
    for pred, gt in pairs:
        score = torch.zeros(6)
        score[pred] = 1.0
        samples.append(DataSample().set_gt_label(gt).set_pred_label(pred).set_pred_score(score))
    evaluator.process(samples[:9])
    evaluator.process(samples[9:])
    metrics = evaluator.evaluate(len(samples))
    assert_close(metrics, {f'lt/{k}': v for k, v in EXPECTED.items()})
    assert len(metrics['lt/per_class']) == 6
    # a custom prefix
    metric = METRICS.build(dict(type='ShotAccuracy', class_counts=COUNTS, prefix='cifar'))
    metric.process(None, make_samples(pairs))
    assert 'cifar/many' in metric.evaluate(len(pairs))


def test_with_a_real_classifier():
    """Predictions of an ImageClassifier (ResNet32_CIFAR) go straight into the metric."""
    init_default_scope('mmpretrain')
    model = MODELS.build(
        dict(type='ImageClassifier',
             data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=6),
             backbone=dict(type='ResNet32_CIFAR', depth=20),
             neck=dict(type='GlobalAveragePooling'),
             head=dict(type='LinearClsHead', num_classes=6, in_channels=64,
                       loss=dict(type='CrossEntropyLoss'))))
    model.eval()
    inputs = [torch.randint(0, 255, (3, 32, 32), dtype=torch.uint8) for _ in range(6)]
    data_samples = [DataSample().set_gt_label(i) for i in range(6)]
    outputs = model.val_step(dict(inputs=inputs, data_samples=data_samples))
    evaluator = Evaluator(dict(type='ShotAccuracy'))
    evaluator.dataset_meta = dict(classes=[str(i) for i in range(6)], class_counts=COUNTS)
    evaluator.process(outputs)
    metrics = evaluator.evaluate(6)
    preds = [int(o.pred_label) for o in outputs]
    assert metrics['lt/top1'] == pytest.approx(100 * np.mean([p == g for p, g in
                                                              zip(preds, range(6))]))


def _ddp_worker(rank, world_size, port, collect_dir, queue):
    import torch.distributed as dist
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank,
                            world_size=world_size)
    try:
        pairs = hand_made_pairs()
        pairs = pairs + pairs[:1]  # 18 items: DefaultSampler-style padding to 2 x 9
        # the ranks' results meet in collect_dir (by default mmengine makes ./.dist_test)
        metric = ShotAccuracy(class_counts=COUNTS, collect_dir=collect_dir)
        metric.process(None, make_samples(pairs[rank::world_size]))
        queue.put((rank, metric.evaluate(size=17)))
    finally:
        dist.destroy_process_group()


def test_ddp_collect_gloo(free_port, tmp_path):
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    collect_dir = str(tmp_path / 'collect')
    procs = [ctx.Process(target=_ddp_worker, args=(r, 2, free_port, collect_dir, queue))
             for r in range(2)]
    for p in procs:
        p.start()
    results = dict(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    for rank in (0, 1):  # every rank gets rank 0's result
        assert_close(results[rank], {f'lt/{k}': v for k, v in EXPECTED.items()})
    assert not (tmp_path / 'collect').exists()  # removed once the results are gathered
