"""Evaluate a checkpoint with an mmltr (or plain MMPretrain) config.

MMPretrain 1.2.0's ``tools/test.py`` (same flags, same defaults: flip test-time augmentation for
``--tta`` when the config has no ``tta_model``/``tta_pipeline``), plus running
``tools/dist_test.sh`` on CPU processes when no GPU is visible::

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE [--out-item {metrics,pred}]]
                                           [--amp] [--tta] [--show-dir DIR] [--show]
                                           [--interval N] [--wait-time S] [--no-pin-memory]
                                           [--cfg-options k=v ...]
                                           [--launcher {none,pytorch,slurm,mpi}]

The many/medium/few groups use the training counts of the config's training set
(``LongTailLossHook`` reads ``train_dataloader.dataset``), so ``--cfg-options
train_dataloader.dataset.imbalance_factor=50`` evaluates a model trained with that override against
the training counts it was trained on.
"""
import argparse
import os.path as osp
import sys
from copy import deepcopy

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

import mmengine  # noqa: E402
from mmengine.config import ConfigDict  # noqa: E402
from mmengine.evaluator import DumpResults  # noqa: E402

# importing mmltr registers its modules and fixes loading checkpoints on torch>=2.6
from mmltr import utils as tool_utils  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a classifier (mmltr)')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='the file to write the predictions (or metrics) to')
    parser.add_argument('--out-item', choices=['metrics', 'pred'],
                        help="what --out holds: 'pred' (the default) or 'metrics'")
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision')
    parser.add_argument('--show-dir', help='directory to save the visualized predictions in')
    parser.add_argument('--show', action='store_true',
                        help='display the predictions in a window')
    parser.add_argument('--interval', type=int, default=1, help='visualize every N-th sample')
    parser.add_argument('--wait-time', type=float, default=2,
                        help='display time of every window (seconds)')
    parser.add_argument(
        '--tta', action='store_true',
        help="test-time augmentation: the config's tta_model and tta_pipeline, else flip TTA "
        'averaging the class scores')
    return tool_utils.parse_tool_args(
        parser, argv, work_dir_help='the directory to save the evaluation metrics',
        cfg_options_example='test_evaluator.0.dump_per_class=per_class.json')


def test_pipeline_holder(dataset):
    """The test dataset config that holds the ``pipeline``: ``dataset`` itself or, through
    dataset wrappers, the innermost wrapped ``dataset`` that has one."""
    while 'pipeline' not in dataset and isinstance(dataset.get('dataset'), dict):
        dataset = dataset.dataset
    if 'pipeline' not in dataset:
        raise ValueError('--tta needs the test pipeline: no `pipeline` in '
                         'test_dataloader.dataset (or the datasets it wraps).')
    return dataset


def merge_args(cfg, args):
    """Apply the command-line flags to the config (as MMPretrain's test.py does)."""
    tool_utils.set_work_dir(cfg, args.work_dir, args.config)
    cfg.load_from = args.checkpoint

    if args.amp:
        cfg.test_cfg.fp16 = True

    if args.show or args.show_dir is not None:
        if 'visualization' not in cfg.get('default_hooks', {}):
            raise ValueError('--show/--show-dir need a VisualizationHook: set default_hooks=dict('
                             "visualization=dict(type='VisualizationHook')) in the config.")
        cfg.default_hooks.visualization.update(
            enable=True, show=args.show, wait_time=args.wait_time, out_dir=args.show_dir,
            interval=args.interval)

    if args.tta:
        # mmltr's datasets wrap the one with the pipeline (LongTailedDataset(dataset=...))
        holder = test_pipeline_holder(cfg.test_dataloader.dataset)
        if 'tta_model' not in cfg:
            cfg.tta_model = dict(type='mmpretrain.AverageClsScoreTTA')
        if 'tta_pipeline' not in cfg:
            test_pipeline = holder.pipeline
            cfg.tta_pipeline = deepcopy(test_pipeline)
            cfg.tta_pipeline[-1] = dict(
                type='TestTimeAug',
                transforms=[[dict(type='RandomFlip', prob=1.),
                             dict(type='RandomFlip', prob=0.)], [test_pipeline[-1]]])
        cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
        holder.pipeline = cfg.tta_pipeline

    tool_utils.set_default_dataloader_cfg(cfg, ('test_dataloader', ), args.no_pin_memory)

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    if args.out is None and args.out_item is not None:
        raise ValueError('--out-item needs --out: give the path of the output file with --out.')
    with tool_utils.distributed_session():
        runner = tool_utils.build_runner(merge_args(tool_utils.load_tool_config(args), args))
        if args.out and args.out_item in ('pred', None):
            runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
        metrics = runner.test()
    if args.out and args.out_item == 'metrics':
        mmengine.dump(metrics, args.out)
    return metrics


if __name__ == '__main__':
    main()
