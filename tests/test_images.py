"Single-image checks and conversions: the cases the web serves."
import io
import numpy as np
import pytest
from PIL import Image
from catdetect.core import DataError
from catdetect.images import check_image, load_rgb, image_kind, verify_images, resize_images


def enc(im, fmt='PNG', **kw):
    b = io.BytesIO(); im.save(b, fmt, **kw); return b.getvalue()


@pytest.mark.parametrize('im,fmt,pixel', [
    (Image.new('RGBA', (4, 4), (0, 0, 255, 0)), 'PNG', (255, 255, 255)),     # transparent: white, not black
    (Image.new('RGBA', (4, 4), (0, 0, 255, 255)), 'PNG', (0, 0, 255)),
    (Image.new('LA', (4, 4), (0, 255)), 'PNG', (0, 0, 0)),
    (Image.new('L', (4, 4), 200), 'JPEG', (200, 200, 200)),
    (Image.new('CMYK', (4, 4), (0, 0, 0, 255)), 'JPEG', (0, 0, 0)),
    (Image.fromarray(np.full((4, 4), 32768, np.uint16)), 'PNG', (128, 128, 128)),
    (Image.new('P', (4, 4), 0), 'GIF', (0, 0, 0)),
    (Image.new('1', (4, 4), 1), 'PNG', (255, 255, 255)),
])
def test_every_mode_becomes_rgb(im, fmt, pixel):
    out = load_rgb(enc(im, fmt))
    assert out.mode == 'RGB' and out.size == (4, 4)
    assert np.allclose(out.getpixel((1, 1)), pixel, atol=3)


def test_sources():
    a = np.zeros((5, 7, 3), np.uint8)
    for src in (a, Image.fromarray(a), enc(Image.fromarray(a)), io.BytesIO(enc(Image.fromarray(a))), a[..., 0], a.astype(np.float32)):
        assert load_rgb(src).size == (7, 5)


def test_not_images():
    with pytest.raises(DataError, match='HTML page'): load_rgb(b'<!doctype html><p>no</p>')
    with pytest.raises(DataError, match='empty file'): load_rgb(b'')
    with pytest.raises(DataError, match='cannot be decoded'): load_rgb(enc(Image.new('RGB', (300, 300)), 'JPEG')[:200])
    assert image_kind(b'GIF89a....') == 'gif' and image_kind(b'%PDF-1.4') is None


def test_bomb_is_refused_before_decoding():
    data = enc(Image.new('1', (9000, 9000)))
    assert check_image(data).startswith('too many pixels (9000x9000)')


def test_verify_and_resize_folder(tmp_path):
    Image.new('RGB', (800, 400), 'red').save(tmp_path/'big.jpg')
    Image.new('CMYK', (50, 50)).save(tmp_path/'cmyk.jpg')
    (tmp_path/'fake.jpg').write_bytes(b'<html></html>')
    assert [f.name for f in verify_images(sorted(tmp_path.iterdir()))] == ['fake.jpg']
    resize_images(tmp_path, max_size=200, dest=tmp_path)      # fastbook's in-place call
    assert Image.open(tmp_path/'big.jpg').size == (200, 100) and Image.open(tmp_path/'cmyk.jpg').mode == 'RGB'
    assert (tmp_path/'fake.jpg').read_bytes() == b'<html></html>'   # left for the user to see, not deleted
