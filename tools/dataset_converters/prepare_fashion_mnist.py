"""Put the real Fashion-MNIST where mmltr's quickstart config expects it.

Reads the four official idx files (default: Debian's ``dataset-fashion-mnist`` package, installed by
``apt-get install dataset-fashion-mnist``) and writes them uncompressed into ``data/fashion-mnist``,
the layout MMPretrain's ``FashionMNIST`` dataset loads. Nothing is downloaded.
"""
import argparse
import gzip
import os
import os.path as osp
import shutil
import zlib

FILES = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte',
         't10k-labels-idx1-ubyte')
DEFAULT_SRC = '/usr/share/datasets/fashion-mnist'


def _copy(src: str, opener, out: str) -> None:
    """``src`` (read through ``opener``) to ``out``, via ``out.part`` (removed on failure)."""
    part = out + '.part'
    try:
        with opener(src, 'rb') as fin, open(part, 'wb') as fout:
            shutil.copyfileobj(fin, fout)
    except (OSError, EOFError, zlib.error) as e:  # truncated/corrupt .gz (BadGzipFile: OSError)
        if osp.exists(part):
            os.remove(part)
        raise RuntimeError(f'{src}: cannot read it ({type(e).__name__}: {e}); the file is '
                           'truncated or corrupt: reinstall it (`apt-get install --reinstall '
                           'dataset-fashion-mnist`) or pass --src DIR with intact files.') from e
    os.replace(part, out)


def prepare(src: str, dst: str) -> None:
    os.makedirs(dst, exist_ok=True)
    for name in FILES:
        out = osp.join(dst, name)
        if osp.exists(out):
            continue
        for cand, opener in ((osp.join(src, name + '.gz'), gzip.open), (osp.join(src, name), open)):
            if osp.exists(cand):
                _copy(cand, opener, out)
                break
        else:
            raise FileNotFoundError(
                f'Fashion-MNIST file {name}(.gz) not found in {src}. Install it with '
                '`apt-get install dataset-fashion-mnist` or pass --src DIR holding the official '
                'idx files.')


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--src', default=DEFAULT_SRC,
                        help='folder with the official idx(.gz) files')
    parser.add_argument('--dst', default='data/fashion-mnist', help='output folder')
    args = parser.parse_args()
    prepare(args.src, args.dst)
    print(f'Fashion-MNIST ready in {args.dst}')


if __name__ == '__main__':
    main()
