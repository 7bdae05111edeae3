"""Install mmltr: ``pip install -e .`` (after a torch/torchvision pair that suits your machine)."""
import os.path as osp
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


setup(
    name='mmltr',
    version=get_version(),
    description='Long-tailed recognition for OpenMMLab MMPretrain: DBM, GHM-CWAP, '
    'Difficulty-Net and rebalancing baselines',
    long_description=read_readme(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    python_requires='>=3.8',
    install_requires=read_requirements('requirements/runtime.txt') + [mmcv_requirement()],
    extras_require={'tests': read_requirements('requirements/tests.txt')},
    zip_safe=False,
)
