"""Evaluate a checkpoint with an mmltr (or plain MMPretrain) config.

Same flags as MMPretrain's ``tools/test.py``::

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out results.pkl]
                                           [--cfg-options k=v ...] [--launcher pytorch]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

from mmengine.evaluator import DumpResults  # noqa: E402

# importing mmltr registers its modules and fixes loading checkpoints on torch>=2.6
from mmltr.utils import build_runner, load_tool_config, parse_tool_args, set_work_dir  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a classifier (mmltr)')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='dump the predictions to this pickle file')
    parser.add_argument('--tta', action='store_true', help='test-time augmentation (tta_model)')
    return parse_tool_args(
        parser, argv, work_dir_help='the directory to save the evaluation metrics',
        cfg_options_example='test_evaluator.0.dump_per_class=per_class.json')


def main(argv=None):
    args = parse_args(argv)
    cfg = load_tool_config(args)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    set_work_dir(cfg, args.work_dir, args.config)
    cfg.load_from = args.checkpoint
    if args.no_pin_memory:
        cfg.test_dataloader['pin_memory'] = False
    if args.tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise ValueError('--tta needs `tta_model` and `tta_pipeline` in the config.')
        cfg.model = dict(**cfg.tta_model, module=cfg.model)
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError('--out must be a .pkl file.')
    runner = build_runner(cfg)
    if args.out is not None:
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    metrics = runner.test()
    return metrics


if __name__ == '__main__':
    main()
