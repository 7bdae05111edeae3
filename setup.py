"""Install mmltr: ``pip install -e .`` (after a torch/torchvision pair that suits your machine)."""
import os
import os.path as osp
import shutil
import sys
from importlib import metadata

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(path):
    reqs = []
    with open(osp.join(HERE, path)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                reqs.append(line)
    return reqs


def mmcv_requirement():
    """Full ``mmcv`` (with ops) and ``mmcv-lite`` provide the same ``mmcv`` package.

    Keep a full mmcv a user already has; otherwise ask for the pure-Python ``mmcv-lite``.
    """
    try:
        metadata.version('mmcv')
        return 'mmcv>=2.0.0,<2.4.0'
    except metadata.PackageNotFoundError:
        return 'mmcv-lite>=2.0.0,<2.4.0'


def read_readme():
    path = osp.join(HERE, 'README.md')
    if not osp.exists(path):
        return ''
    with open(path) as f:
        return f.read()


def get_version():
    scope = {}
    with open(osp.join(HERE, 'mmltr', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


# What OpenMMLab's ``mim`` and mmengine's ``package::config`` look up in ``<package>/.mim``.
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def add_mim_extension():
    """Put ``configs/``, ``tools/`` and ``model-index.yml`` into ``mmltr/.mim``, as MMPretrain's
    ``setup.py`` does: symlinks for an editable install (``pip install -e .``), copies when a
    wheel or sdist is built (``pip install .``), nothing for other commands."""
    if {'develop', 'editable_wheel'} & set(sys.argv):
        mode = 'symlink'
    elif {'sdist', 'bdist_wheel', 'build', 'install'} & set(sys.argv):
        mode = 'copy'
    else:
        return
    mim_path = osp.join(HERE, 'mmltr', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in MIM_FILES:
        src_path, tar_path = osp.join(HERE, name), osp.join(mim_path, name)
        if osp.isfile(tar_path) or osp.islink(tar_path):
            os.remove(tar_path)
        elif osp.isdir(tar_path):
            shutil.rmtree(tar_path)
        if mode == 'symlink':
            os.symlink(osp.relpath(src_path, mim_path), tar_path)
        elif osp.isdir(src_path):
            shutil.copytree(src_path, tar_path,
                            ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src_path, tar_path)


add_mim_extension()
setup(
    name='mmltr',
    version=get_version(),
    description='Long-tailed recognition for OpenMMLab MMPretrain: DBM, GHM-CWAP, '
    'Difficulty-Net and rebalancing baselines',
    long_description=read_readme(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    include_package_data=True,  # mmltr/.mim, listed in MANIFEST.in
    python_requires='>=3.8',
    install_requires=read_requirements('requirements/runtime.txt') + [mmcv_requirement()],
    extras_require={'tests': read_requirements('requirements/tests.txt')},
    zip_safe=False,
)
