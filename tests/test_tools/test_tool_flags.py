"""tools/train.py and tools/test.py accept exactly MMPretrain 1.2.0's flags, and apply them alike.

The reference flag sets are MMPretrain 1.2.0's ``tools/train.py`` / ``tools/test.py``. When
MMPretrain's tools are installed (``mmpretrain/.mim/tools``, as a non-editable ``pip install``
ships them), their ``add_argument`` calls are read too and must give the same sets, with the same
``nargs``/``const``/``choices``/``default``/``action``.
"""
import ast
import importlib.util
import os
import os.path as osp
import re
import subprocess

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# MMPretrain 1.2.0, tools/train.py and tools/test.py: (positionals, optionals)
MMPRETRAIN_FLAGS = {
    'train': ({'config'}, {
        '-h', '--help', '--work-dir', '--resume', '--amp', '--no-validate', '--auto-scale-lr',
        '--no-pin-memory', '--no-persistent-workers', '--cfg-options', '--launcher',
        '--local_rank', '--local-rank'
    }),
    'test': ({'config', 'checkpoint'}, {
        '-h', '--help', '--work-dir', '--out', '--out-item', '--cfg-options', '--amp',
        '--show-dir', '--show', '--interval', '--wait-time', '--no-pin-memory', '--tta',
        '--launcher', '--local_rank', '--local-rank'
    }),
}


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(f'mmltr_tool_{name}',
                                                  osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tools():
    return {name: _load_tool(name) for name in ('train', 'test')}


def _help_flags(tool, capsys):
    """(positionals, optionals) listed by ``tool --help``."""
    with pytest.raises(SystemExit) as exit_info:
        tool.parse_args(['--help'])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    positionals, optionals, section = set(), set(), None
    for line in text.splitlines():
        if re.match(r'^\S.*:$', line):
            section = 'pos' if line.startswith('positional') else 'opt'
            continue
        match = re.match(r'^  (\S.*?)(?:\s{2,}|$)', line)
        if not match or section is None:
            continue
        spec = match.group(1)
        if section == 'pos':
            positionals.add(spec)
        else:
            optionals.update(re.findall(r'(?<![\w-])(--?[A-Za-z][\w-]*)', spec))
    return positionals, optionals


def _installed_mmpretrain_actions(name):
    """{option string: keywords} of MMPretrain's installed tools/<name>.py, or None."""
    import mmpretrain
    path = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'tools', f'{name}.py')
    if not osp.isfile(path):
        return None
    actions = {}
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Call) and getattr(node.func, 'attr', '') == 'add_argument':
            keywords = {k.arg: k.value.id if isinstance(k.value, ast.Name) else
                        ast.literal_eval(k.value) for k in node.keywords
                        if k.arg in ('nargs', 'const', 'choices', 'default', 'action', 'type')}
            for arg in node.args:
                actions[arg.value] = keywords
    return actions


@pytest.mark.parametrize('name', ['train', 'test'])
def test_help_flags_match_mmpretrain(name, tools, capsys):
    assert _help_flags(tools[name], capsys) == MMPRETRAIN_FLAGS[name]


@pytest.mark.parametrize('name', ['train', 'test'])
def test_flags_behave_like_installed_mmpretrain_tools(name, tools, monkeypatch):
    reference = _installed_mmpretrain_actions(name)
    if reference is None:
        pytest.skip("MMPretrain's tools are not installed (editable install)")
    positionals, optionals = MMPRETRAIN_FLAGS[name]
    assert set(reference) == positionals | (optionals - {'-h', '--help'})
    captured = {}
    parse = tools[name].argparse.ArgumentParser.parse_args

    def capture(parser, args=None, namespace=None):
        captured.update({s: a for a in parser._actions for s in a.option_strings or [a.dest]})
        return parse(parser, args, namespace)

    monkeypatch.setattr(tools[name].argparse.ArgumentParser, 'parse_args', capture)
    tools[name].parse_args(['cfg.py'] + (['ckpt.pth'] if name == 'test' else []))
    kinds = {'store_true': '_StoreTrueAction', 'DictAction': 'DictAction', None: '_StoreAction'}
    for flag, keywords in reference.items():
        action = captured[flag]
        assert type(action).__name__ == kinds[keywords.get('action')], flag
        assert getattr(action.type, '__name__', None) == keywords.get('type'), flag
        for key in ('nargs', 'const', 'choices', 'default'):
            if key in keywords:
                assert getattr(action, key) == keywords[key], (flag, key)


def _test_cfg():
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
    return Config(
        dict(model=dict(type='ImageClassifier'), test_cfg=dict(),
             default_hooks=dict(visualization=dict(type='VisualizationHook', enable=False)),
             test_dataloader=dict(batch_size=2, num_workers=0, dataset=dict(
                 type='LongTailedDataset', class_counts=[5, 1],
                 dataset=dict(type='CustomDataset', pipeline=pipeline)))))


def test_test_flags_apply_like_mmpretrain(tools, tmp_path):
    test = tools['test']
    args = test.parse_args(['c.py', 'ckpt.pth', '--tta', '--amp', '--show-dir', str(tmp_path),
                            '--interval', '3', '--no-pin-memory', '--cfg-options',
                            'test_dataloader.batch_size=4'])
    cfg = test.merge_args(_test_cfg(), args)
    assert cfg.load_from == 'ckpt.pth' and cfg.test_cfg.fp16 is True
    vis = cfg.default_hooks.visualization
    assert vis.enable and vis.out_dir == str(tmp_path) and vis.interval == 3 and not vis.show
    # no tta_model / tta_pipeline in the config: flip TTA averaging the scores
    assert cfg.model.type == 'mmpretrain.AverageClsScoreTTA'
    assert cfg.model.module.type == 'ImageClassifier'
    tta = cfg.test_dataloader.dataset.dataset.pipeline  # the wrapped dataset's
    assert tta[0] == dict(type='LoadImageFromFile') and tta[-1].type == 'TestTimeAug'
    assert [t.prob for t in tta[-1].transforms[0]] == [1., 0.]
    loader = cfg.test_dataloader
    assert loader.pin_memory is False and loader.batch_size == 4
    assert loader.collate_fn == dict(type='default_collate')


def test_test_out_item_needs_out(tools):
    with pytest.raises(ValueError, match='--out-item needs --out'):
        tools['test'].main(['c.py', 'ckpt.pth', '--out-item', 'metrics'])


def test_train_dataloader_defaults_like_mmpretrain(tools):
    train = tools['train']

    def merged(*flags):
        cfg = Config(dict(optim_wrapper=dict(optimizer=dict(type='SGD')),
                          train_dataloader=dict(num_workers=2, dataset=dict()),
                          val_dataloader=dict(num_workers=0, pin_memory=False, dataset=dict())))
        return train.merge_args(cfg, train.parse_args(['c.py', *flags]))

    cfg = merged()
    assert cfg.train_dataloader.pin_memory is True
    assert cfg.train_dataloader.persistent_workers is True
    assert cfg.train_dataloader.collate_fn == dict(type='default_collate')
    assert cfg.val_dataloader.pin_memory is False  # the config's own setting wins
    assert 'persistent_workers' not in cfg.val_dataloader  # PyTorch refuses it with 0 workers
    assert cfg.get('test_dataloader') is None
    cfg = merged('--no-persistent-workers', '--no-pin-memory')
    assert cfg.train_dataloader.persistent_workers is False
    assert cfg.train_dataloader.pin_memory is False


@pytest.mark.parametrize('name,args,expected', [
    ('slurm_train.sh', ['p1', 'job', 'c.py', 'wd', '--amp'],
     ['tools/train.py', 'c.py', '--work-dir=wd', '--launcher=slurm', '--amp']),
    ('slurm_test.sh', ['p1', 'job', 'c.py', 'ck.pth', '--tta'],
     ['tools/test.py', 'c.py', 'ck.pth', '--launcher=slurm', '--tta']),
])
def test_slurm_scripts_like_mmpretrain(name, args, expected, tmp_path):
    """MMPretrain's srun command line, checked with an ``srun`` that prints its arguments."""
    srun = tmp_path / 'srun'
    srun.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    srun.chmod(0o755)
    env = dict(os.environ, PATH=f'{tmp_path}:{os.environ["PATH"]}', GPUS='16',
               SRUN_ARGS='--quotatype=auto')
    proc = subprocess.run(['bash', osp.join(ROOT, 'tools', name), *args], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    argv = proc.stdout.splitlines()
    assert argv[:10] == ['-p', 'p1', '--job-name=job', '--gres=gpu:8', '--ntasks=16',
                         '--ntasks-per-node=8', '--cpus-per-task=5', '--kill-on-bad-exit=1',
                         '--quotatype=auto', 'python']
    assert argv[10] == '-u' and argv[11] == osp.join(ROOT, expected[0])
    assert argv[12:] == expected[1:]
    usage = subprocess.run(['bash', osp.join(ROOT, 'tools', name), 'p1'], env=env,
                           capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and 'usage:' in usage.stderr
