"""Packaging: a non-editable install ships configs/ and tools/ in mmltr/.mim, like MMPretrain.

A wheel is built (``pip wheel``, no build isolation, no network) from a copy of the source tree
and unpacked as an install would lay it out; then a user config inherits ``mmltr::`` base configs
from it, and the shipped tools run.
"""
import os
import os.path as osp
import shutil
import subprocess
import sys
import zipfile

import pytest
import yaml

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SOURCES = ('mmltr', 'configs', 'tools', 'requirements', 'setup.py', 'MANIFEST.in', 'LICENSE',
           'README.md', 'model-index.yml')


def _files(top, suffixes=('.py', '.sh')):
    return {osp.relpath(osp.join(d, f), top) for d, _, names in os.walk(top) for f in names
            if f.endswith(suffixes) and '__pycache__' not in d}


def test_license_is_apache_2_as_setup_py_says():
    text = open(osp.join(ROOT, 'LICENSE')).read()
    assert 'Apache License' in text and 'Version 2.0, January 2004' in text
    assert "license='Apache-2.0'" in open(osp.join(ROOT, 'setup.py')).read()


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """The wheel's content unpacked (what ``pip install .`` puts into site-packages)."""
    tmp = tmp_path_factory.mktemp('packaging')
    src = tmp / 'src'
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim', '*.egg-info')
    for name in SOURCES:
        path = osp.join(ROOT, name)
        if osp.isdir(path):
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copyfile(path, src / name)
    proc = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-index',
                           '--no-build-isolation', '-q', '-w', str(tmp / 'dist'), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheel, = (tmp / 'dist').glob('mmltr-*.whl')
    site = tmp / 'site'
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    return site


def test_wheel_ships_configs_tools_and_license(installed):
    mim = installed / 'mmltr' / '.mim'
    assert _files(mim / 'configs') == _files(osp.join(ROOT, 'configs'))
    assert _files(mim / 'tools') == _files(osp.join(ROOT, 'tools'))
    index = yaml.safe_load((mim / 'model-index.yml').read_text())
    assert index['Import'] and all((mim / path).is_file() for path in index['Import'])  # metafiles
    license_file, = installed.glob('mmltr-*.dist-info/licenses/LICENSE')
    assert license_file.read_text() == open(osp.join(ROOT, 'LICENSE')).read()


def test_installed_package_resolves_mmltr_base_configs_and_runs_its_tools(installed, tmp_path):
    cfg = tmp_path / 'user_config.py'
    cfg.write_text("_base_ = ['mmltr::_base_/models/resnet32_cifar.py',\n"
                   "          'mmltr::_base_/default_runtime.py']\n"
                   "model = dict(head=dict(_delete_=True, type='CosineClsHead', num_classes=10,\n"
                   "                       in_channels=64, loss=dict(type='DBMLoss')))\n")
    script = f"""
import mmltr
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
cfg = Config.fromfile({str(cfg)!r})
DefaultScope.get_instance('user', scope_name=cfg.default_scope)
model = MODELS.build(cfg.model)
print(mmltr.__file__)
print(type(model).__name__, type(model.head).__name__, type(model.head.loss_module).__name__)
"""
    env = dict(os.environ, PYTHONPATH=str(installed))
    proc = subprocess.run([sys.executable, '-c', script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    lines = proc.stdout.splitlines()
    assert lines[-2] == str(installed / 'mmltr' / '__init__.py')  # the installed copy
    assert lines[-1].split()[1:] == ['CosineClsHead', 'DBMLoss']
    train = installed / 'mmltr' / '.mim' / 'tools' / 'train.py'
    proc = subprocess.run([sys.executable, str(train), '--help'], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and '--auto-scale-lr' in proc.stdout, proc.stderr[-4000:]
