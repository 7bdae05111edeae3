"""tools/dataset_converters/prepare_fashion_mnist.py on intact and broken idx(.gz) files."""
import gzip
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_prepare_fashion_mnist_truncated_gz(tmp_path):
    src, dst = tmp_path / 'src', tmp_path / 'dst'
    src.mkdir()
    for name in ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte',
                 't10k-labels-idx1-ubyte'):
        (src / (name + '.gz')).write_bytes(gzip.compress(bytes(range(256)) * 64))
    good = (src / 't10k-images-idx3-ubyte.gz').read_bytes()
    (src / 't10k-images-idx3-ubyte.gz').write_bytes(good[:len(good) // 2])
    proc = subprocess.run([sys.executable, 'tools/dataset_converters/prepare_fashion_mnist.py',
                           '--src', str(src), '--dst', str(dst)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode != 0
    assert 't10k-images-idx3-ubyte.gz: cannot read it' in proc.stderr
    assert not list(dst.glob('*.part'))  # no 0-byte leftover
