"""Train a model with an mmltr (or plain MMPretrain) config.

MMPretrain 1.2.0's ``tools/train.py`` (same flags, same dataloader defaults), plus running
``tools/dist_train.sh`` on CPU processes when no GPU is visible::

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--auto-scale-lr]
                                 [--no-validate] [--no-pin-memory] [--no-persistent-workers]
                                 [--cfg-options k=v ...] [--launcher {none,pytorch,slurm,mpi}]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a checkout

# importing mmltr registers its modules and fixes resuming on torch>=2.6
from mmltr import utils as tool_utils  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a classifier (mmltr)')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or, with no value, from the latest checkpoint '
        'in the work directory')
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision')
    parser.add_argument('--no-validate', action='store_true',
                        help='do not evaluate checkpoints during training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by total batch size / auto_scale_lr.base_batch_size')
    parser.add_argument('--no-persistent-workers', action='store_true',
                        help='set persistent_workers=False in every dataloader')
    return tool_utils.parse_tool_args(parser, argv)


def merge_args(cfg, args):
    """Apply the command-line flags to the config (as MMPretrain's train.py does)."""
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    tool_utils.set_work_dir(cfg, args.work_dir, args.config)

    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper in ('OptimWrapper', 'AmpOptimWrapper'):
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        else:
            raise ValueError(f'--amp is not supported with optim_wrapper type {optim_wrapper!r}; '
                             'set AmpOptimWrapper in the config instead.')

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True

    tool_utils.set_default_dataloader_cfg(
        cfg, ('train_dataloader', 'val_dataloader', 'test_dataloader'), args.no_pin_memory,
        args.no_persistent_workers)

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    with tool_utils.distributed_session():
        runner = tool_utils.build_runner(merge_args(tool_utils.load_tool_config(args), args))
        message = tool_utils.lr_batch_mismatch(runner.cfg, runner.world_size)
        if message is not None:
            runner.logger.warning(message)
        runner.train()


if __name__ == '__main__':
    main()
