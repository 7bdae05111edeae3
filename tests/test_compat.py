"""mmltr.compat: mmengine 0.10.7 checkpoints load on torch>=2.6 (weights_only default)."""
import functools
import http.server
import threading

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint, save_checkpoint

import mmltr.compat as compat


def _mmengine_style_checkpoint(path):
    hub = MessageHub.get_instance('mmltr-test-compat')
    hub.update_scalar('train/loss', 1.5)
    hub.update_info('epoch', 3)
    ckpt = dict(
        meta=dict(epoch=3, iter=30, seed=np.int64(0), hook_msgs=dict(best_score=np.float64(0.5))),
        state_dict=dict(w=torch.ones(2)),
        message_hub=hub.state_dict(),
    )
    save_checkpoint(ckpt, str(path))
    return ckpt


def test_plain_torch_load_rejects_mmengine_checkpoint(tmp_path):
    # The problem mmltr fixes: torch>=2.6 refuses these pickles by default.
    path = tmp_path / 'epoch_3.pth'
    _mmengine_style_checkpoint(path)
    if not compat._torch_load_supports_weights_only():
        pytest.skip('torch without weights_only')
    major, minor = (int(x) for x in torch.__version__.split('.')[:2])
    if (major, minor) < (2, 6):
        pytest.skip('weights_only defaults to False before torch 2.6')
    with pytest.raises(Exception, match='(?i)weights_only|unpickl|not an allowed global'):
        torch.load(str(path))


def test_patched_loader_reads_history_buffers_and_numpy(tmp_path):
    path = tmp_path / 'epoch_3.pth'
    _mmengine_style_checkpoint(path)
    ckpt = _load_checkpoint(str(path), map_location='cpu')
    assert ckpt['meta']['epoch'] == 3
    assert ckpt['meta']['seed'] == 0
    torch.testing.assert_close(ckpt['state_dict']['w'], torch.ones(2))
    buffers = ckpt['message_hub']['log_scalars']
    assert isinstance(buffers['train/loss'], HistoryBuffer)
    assert buffers['train/loss'].current() == 1.5


def test_patch_is_registered_and_idempotent():
    compat.patch_checkpoint_loader()
    compat.patch_checkpoint_loader()
    assert CheckpointLoader._schemes[''] is compat.load_from_local_trusted
    for prefix in ('http://', 'https://'):
        assert CheckpointLoader._schemes[prefix] is compat.load_from_http_trusted


@pytest.fixture
def served_checkpoint(tmp_path, monkeypatch):
    """The URL of an mmengine checkpoint served by a local HTTP server on 127.0.0.1."""
    served = tmp_path / 'served'
    served.mkdir()
    _mmengine_style_checkpoint(served / 'epoch_3.pth')
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))  # the download cache

    class Quiet(http.server.SimpleHTTPRequestHandler):

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0), functools.partial(Quiet, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}/epoch_3.pth'
    server.shutdown()
    server.server_close()


@pytest.fixture
def strict_download(monkeypatch):
    """A download helper that, like ``torch.load`` since 2.6, defaults to ``weights_only=True``
    (mmengine's ``load_from_http`` does not pass the argument)."""
    load_url = mmengine_checkpoint.load_url

    def strict(url, *args, weights_only=True, **kwargs):
        return load_url(url, *args, weights_only=weights_only, **kwargs)

    monkeypatch.setattr(mmengine_checkpoint, 'load_url', strict)


def test_load_from_url_reads_mmengine_checkpoints(served_checkpoint, strict_download, tmp_path):
    ckpt = _load_checkpoint(served_checkpoint, map_location='cpu')
    assert ckpt['meta']['epoch'] == 3 and ckpt['meta']['seed'] == 0
    assert ckpt['message_hub']['log_scalars']['train/loss'].current() == 1.5
    assert (tmp_path / 'torch_home' / 'hub' / 'checkpoints' / 'epoch_3.pth').is_file()
    # what mmengine's own http loader does with such a download helper
    with pytest.raises(Exception, match='(?i)weights_only|unpickl|not an allowed global'):
        mmengine_checkpoint.load_from_http(served_checkpoint, map_location='cpu',
                                           model_dir=str(tmp_path / 'fresh_download'))


def test_missing_checkpoint_names_the_path(tmp_path):
    missing = tmp_path / 'nope.pth'
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        _load_checkpoint(str(missing))


def _hue_shift_reference(img, shift, backend):
    """The hue byte of ``img`` (BGR uint8) rotated by ``shift`` (mod 256): PIL's or OpenCV's HSV."""
    import cv2
    from PIL import Image
    if backend == 'pillow':
        h, s, v = Image.fromarray(img[..., ::-1].copy()).convert('HSV').split()
        h = Image.fromarray(((np.asarray(h).astype(np.int64) + shift) % 256).astype(np.uint8))
        return np.asarray(Image.merge('HSV', (h, s, v)).convert('RGB'))[..., ::-1]
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL).astype(np.int64)
    hsv[..., 0] = (hsv[..., 0] + shift) % 256
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR_FULL)


@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
def test_adjust_hue_wraps_negative_factors(backend):
    import mmcv
    img = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    assert mmcv.adjust_hue is compat.adjust_hue
    # -0.05 * 255 = -12.75 -> -12 -> 244 (mod 256), NumPy 1's uint8 cast
    for factor, shift in ((-0.05, 244), (-0.5, 129), (-0.001, 0), (0.2, 51), (0.0, 0)):
        out = mmcv.adjust_hue(img, factor, backend=backend)
        assert out.dtype == np.uint8 and out.shape == img.shape
        assert np.array_equal(out, _hue_shift_reference(img, shift, backend)), factor
    with pytest.raises(ValueError, match='hue_factor'):  # mmcv's checks are kept
        mmcv.adjust_hue(img, -0.6, backend=backend)


def test_config_text_is_formatted_once_and_unchanged(monkeypatch):
    from mmengine.config import Config
    from mmengine.config import config as mmengine_config
    from yapf.yapflib.yapf_api import FormatCode
    calls = []

    def counting(text, style_config=None):
        calls.append(text)
        return FormatCode(text, style_config=style_config)

    monkeypatch.setattr(compat, '_yapf_format_code', counting)
    compat._format_code_cached.cache_clear()
    cfg = Config(dict(model=dict(type='ImageClassifier', neck=None, policies=[[1, 2]] * 30),
                      lr=0.1))
    texts = [cfg.pretty_text for _ in range(4)]
    assert len(calls) == 1 and len(set(texts)) == 1
    monkeypatch.setattr(mmengine_config, 'FormatCode', FormatCode)  # mmengine's own
    assert cfg.pretty_text == texts[0]
    cfg.lr = 0.2  # another text: formatted again
    monkeypatch.setattr(mmengine_config, 'FormatCode', compat.format_code)
    assert "lr = 0.2" in cfg.pretty_text and len(calls) == 2
    compat._format_code_cached.cache_clear()
