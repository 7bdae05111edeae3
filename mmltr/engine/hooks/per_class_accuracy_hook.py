"""The hook that gives ``ShotAccuracy`` the run's work dir and sends per-class accuracy to
TensorBoard/WandB-like backends."""
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from mmltr.evaluation.metrics.shot_accuracy import EVAL_NAME_KEY, WORK_DIR_KEY

# MMEngine's experiment-tracking backends (by their default names); LocalVisBackend is left out:
# its scalars.json would get one key per class at every evaluation.
TRACKING_BACKENDS = ('TensorboardVisBackend', 'WandbVisBackend', 'MLflowVisBackend',
                     'ClearMLVisBackend', 'NeptuneVisBackend', 'DVCLiveVisBackend',
                     'AimVisBackend')


@HOOKS.register_module()
class PerClassAccuracyHook(Hook):
    """Where ``ShotAccuracy`` writes its per-class JSON, and per-class scalars for trackers.

    * ``before_val_epoch``/``before_test_epoch``: puts the run's ``work_dir`` and the name of the
      evaluation (``epoch_{N}`` after N training epochs, ``iter_{N}`` with ``by_epoch=False``,
      ``val`` for a validation-only run, ``test`` for the test loop) into the runtime info of
      MMEngine's ``MessageHub``; ``ShotAccuracy`` (``per_class=True`` or ``dump_per_class``)
      writes ``<work_dir>/per_class/<name>.json`` from them.
    * ``after_val_epoch``/``after_test_epoch``: every list-valued metric whose key ends in
      ``/per_class`` (``lt/per_class``) goes, one scalar per class, as
      ``lt/per_class/<class name>`` to the visualizer's backends named in ``backends`` that the
      run configured, e.g. ``vis_backends=[dict(type='LocalVisBackend'),
      dict(type='TensorboardVisBackend')]``. Class names come from the evaluator's
      ``dataset_meta['classes']`` (the class index when absent); classes without test samples are
      skipped.

    It is listed in ``configs/_base_/default_runtime.py``.

    Args:
        by_epoch (bool): name validation results by epoch (else by iteration) and use that as the
            scalars' step. Defaults to True.
        backends (Sequence[str]): names of the visualizer backends that get per-class scalars.
            Defaults to MMEngine's tracking backends (every one but ``LocalVisBackend``).
    """

    priority = 'BELOW_NORMAL'

    def __init__(self, by_epoch: bool = True,
                 backends: Sequence[str] = TRACKING_BACKENDS) -> None:
        if isinstance(backends, str):
            raise TypeError('PerClassAccuracyHook: backends must be a list of backend names, '
                            f'got the string {backends!r}; write backends=[{backends!r}].')
        self.by_epoch = bool(by_epoch)
        self.backends = tuple(backends)

    # ------------------------------------------------------------------ naming
    def _training(self, runner) -> bool:
        loop = getattr(runner, '_train_loop', None)  # do not build a train loop to ask it
        return loop is not None and not isinstance(loop, dict)

    def _step(self, runner) -> int:
        if not self._training(runner):
            return 0
        return runner.epoch if self.by_epoch else runner.iter

    def _publish(self, runner, name: str) -> None:
        runner.message_hub.update_info(WORK_DIR_KEY, runner.work_dir)
        runner.message_hub.update_info(EVAL_NAME_KEY, name)

    def before_val_epoch(self, runner) -> None:
        if self._training(runner):
            name = f'epoch_{runner.epoch}' if self.by_epoch else f'iter_{runner.iter}'
        else:
            name = 'val'
        self._publish(runner, name)

    def before_test_epoch(self, runner) -> None:
        self._publish(runner, 'test')

    def after_run(self, runner) -> None:
        # a metric used after this run must not write into this run's work dir
        for key in (WORK_DIR_KEY, EVAL_NAME_KEY):
            runner.message_hub.pop_info(key, None)

    # ------------------------------------------------------------------ scalars
    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        self._send(runner, runner.val_evaluator, metrics)

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        self._send(runner, runner.test_evaluator, metrics)

    def _send(self, runner, evaluator, metrics: Optional[dict]) -> None:
        per_class = {k: v for k, v in (metrics or {}).items()
                     if k.endswith('/per_class') and isinstance(v, (list, tuple))}
        targets = [b for b in (runner.visualizer.get_backend(n) for n in self.backends) if b]
        if not per_class or not targets:
            return
        names = (getattr(evaluator, 'dataset_meta', None) or {}).get('classes')
        scalars = {}
        for key, values in per_class.items():
            labels = (list(names) if names is not None and len(names) == len(values) else
                      range(len(values)))
            scalars.update({f'{key}/{label}': float(v)
                            for label, v in zip(labels, values) if v is not None})
        step = self._step(runner)
        for backend in targets:
            backend.add_scalars(scalars, step=step)
