"Download against a local web of good and bad images: what is kept, what is rejected and why, resume."
import io, time
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from catdetect.download import download_images, download_image, summarize_downloads
from catdetect.manifest import read_manifest
from catdetect.testing import local_server
from catdetect.testing import photo_bytes, image_bytes, bomb_png

IMG = {'Content-Type': 'image/jpeg'}




def slow(handler):
    time.sleep(3); handler.send_response(200); handler.send_header('Content-Type', 'image/jpeg'); handler.end_headers()
    handler.wfile.write(photo_bytes(99))


def endless(handler):
    "An image response with no Content-Length that never stops (a size cap must cut it)."
    handler.send_response(200); handler.send_header('Content-Type', 'image/jpeg'); handler.end_headers()
    try:
        handler.wfile.write(photo_bytes(98)[:100])
        for _ in range(400): handler.wfile.write(b'\0' * 10_000)
    except OSError: pass


def drip(handler):
    "Sends a byte at a time, each within the timeout, for much longer than a download may take."
    handler.send_response(200); handler.send_header('Content-Type', 'image/jpeg'); handler.end_headers()
    data = photo_bytes(97)
    try:
        for i in range(0, 60): handler.wfile.write(data[i:i+1]); handler.wfile.flush(); time.sleep(0.1)
    except OSError: pass


@pytest.fixture(scope='module')
def bomb():
    return bomb_png(12000)


def late(body, wait=0.5):
    "A handler that answers with `body` after `wait` seconds (which of two copies is kept is then not a race)."
    def handle(h):
        time.sleep(wait)
        h.send_response(200); h.send_header('Content-Type', 'image/jpeg'); h.send_header('Content-Length', str(len(body))); h.end_headers()
        h.wfile.write(body)
    return handle


@pytest.fixture(scope='module')
def web(bomb):
    good = photo_bytes(1, (80, 60))
    return {
        '/good.jpg': (200, IMG, good),
        '/good.png': (200, {'Content-Type': 'image/png'}, photo_bytes(2, fmt='PNG')),
        '/good.webp': (200, {'Content-Type': 'image/webp'}, photo_bytes(3, fmt='WEBP')),
        '/good.gif': (200, {'Content-Type': 'image/gif'}, photo_bytes(4, fmt='GIF')),
        '/copy-of-good.jpg': late(good),                                         # same bytes, other URL, answered after /good.jpg
        '/cmyk.jpg': (200, IMG, photo_bytes(5, mode='CMYK')),
        '/truncated.jpg': (200, IMG, photo_bytes(6, size=(400, 300))[:2000]),
        '/html.jpg': (200, IMG, b'<!DOCTYPE html><html><body>Image not found</body></html>'),
        '/text.jpg': (200, {'Content-Type': 'text/html; charset=utf-8'}, b'<html>hi</html>'),
        '/gone.jpg': (404, {'Content-Type': 'text/html'}, b'not found'),
        '/error.jpg': (500, {'Content-Type': 'text/html'}, b'server error'),
        '/bomb.png': (200, {'Content-Type': 'image/png'}, bomb),
        '/big.jpg': (200, IMG, image_bytes(Image.fromarray(np.random.default_rng(7).integers(0, 255, (900, 1200, 3), dtype=np.uint8)))),  # over the size cap
        '/loop.jpg': (302, {'Location': '/loop.jpg'}, b''),
        '/slow.jpg': slow,
        '/endless.jpg': endless,
    }


EXPECTED = {
    '/good.jpg': 'ok', '/good.png': 'ok', '/good.webp': 'ok', '/good.gif': 'ok', '/cmyk.jpg': 'ok',
    '/copy-of-good.jpg': 'duplicate',
    '/truncated.jpg': 'rejected', '/html.jpg': 'rejected', '/text.jpg': 'rejected', '/gone.jpg': 'rejected',
    '/bomb.png': 'rejected', '/big.jpg': 'rejected', '/loop.jpg': 'rejected', '/endless.jpg': 'rejected',
    '/error.jpg': 'failed', '/slow.jpg': 'failed',
}


def no_partial_files(d): return [f for f in Path(d).rglob('*') if (f.name.startswith('.') and f.suffix != '.lock') or f.suffix == '.part']   # the manifest's lock file stays


@pytest.fixture(scope='module')
def first_run(web, tmp_path_factory):
    dest = tmp_path_factory.mktemp('dl')/'cats'
    with local_server(web) as srv:
        urls = [srv.url + p for p in EXPECTED]
        rows = download_images(dest, urls=urls, timeout=1, max_bytes=500_000, progress=False)
        hits1 = dict(srv.hits)
        rows2 = download_images(dest, urls=urls, timeout=1, max_bytes=500_000, progress=False)
        hits2 = {k: v - hits1.get(k, 0) for k,v in srv.hits.items() if v - hits1.get(k, 0)}
    return dest, {r['url'].split(srv.url)[1]: r for r in rows}, rows2, hits2


def test_statuses(first_run):
    _, rows, _, _ = first_run
    assert {p: r['status'] for p,r in rows.items()} == EXPECTED


def test_reasons(first_run):
    _, rows, _, _ = first_run
    why = {p: r['reason'] for p,r in rows.items()}
    assert why['/html.jpg'] == 'an HTML page, not an image'
    assert why['/text.jpg'].startswith('not an image (Content-Type text/html')
    assert why['/gone.jpg'] == 'HTTP 404' and why['/error.jpg'] == 'HTTP 500'
    assert why['/truncated.jpg'].startswith('cannot be decoded')
    assert why['/bomb.png'].startswith('too many pixels (12000x12000)')
    assert why['/big.jpg'].startswith('too large') and why['/endless.jpg'].startswith('too large')
    assert 'redirect' in why['/loop.jpg'] and why['/slow.jpg'].startswith('timeout')


def test_kept_files_are_clean_rgb_named_by_hash(first_run):
    dest, rows, _, _ = first_run
    kept = {f.name for f in dest.iterdir() if f.name not in ('manifest.csv', '.manifest.csv.lock')}
    assert kept == {r['file'] for r in rows.values() if r['status'] == 'ok'}
    assert rows['/copy-of-good.jpg']['file'] == rows['/good.jpg']['file']
    for f in kept:
        im = Image.open(dest/f); im.load()
        assert f.split('.')[0] in (rows[p]['sha256'][:16] for p in rows if rows[p]['status'] == 'ok') or len(f.split('.')[0]) == 16
        assert im.mode in ('RGB',), (f, im.mode)   # CMYK and palette GIF were converted
    assert Path(rows['/cmyk.jpg']['file']).suffix == '.jpg' and Image.open(dest/rows['/good.png']['file']).format == 'PNG'
    assert no_partial_files(dest) == []


def test_second_run_resumes(first_run):
    _, rows, rows2, hits2 = first_run
    assert set(hits2) == {'/error.jpg', '/slow.jpg'}   # only what may work next time is asked again
    assert [r['status'] for r in rows2] == list(EXPECTED.values())


def test_manifest(first_run):
    dest, rows, _, _ = first_run
    m = read_manifest(dest/'manifest.csv')
    assert len(m) == len(EXPECTED)
    good = next(r for u,r in m.items() if u.endswith('/good.jpg'))
    assert good['label'] == 'cats' and good['status'] == 'ok' and len(good['sha256']) == 64 and int(good['width']) == 80
    assert (dest/'manifest.csv').read_text().count('\n') == len(EXPECTED) + 1   # compacted: one row per URL
    assert 'failed' in summarize_downloads(list(rows.values()))


def test_whole_download_deadline(tmp_path):
    "A server that keeps sending a byte at a time is cut off at `max_seconds`."
    with local_server({'/drip.jpg': drip}) as srv:
        t = time.monotonic()
        r = download_image(srv.url + '/drip.jpg', tmp_path, timeout=1, max_seconds=1)
    assert r['status'] == 'failed' and r['reason'].startswith('timeout') and time.monotonic() - t < 4
    assert no_partial_files(tmp_path) == []


def test_fastai_calls(tmp_path):
    "fastbook's calls work unchanged: `urls=`, `url_file=`, `max_pics`."
    web = {f'/{i}.jpg': (200, IMG, photo_bytes(10+i)) for i in range(5)}
    with local_server(web) as srv:
        download_images(tmp_path/'a', urls=[srv.url + p for p in web], progress=False)
        (tmp_path/'urls.txt').write_text('\n'.join(srv.url + p for p in web))
        download_images(tmp_path/'b', url_file=tmp_path/'urls.txt', max_pics=3, progress=False)
    assert len(list((tmp_path/'a').glob('*.jpg'))) == 5 and len(list((tmp_path/'b').glob('*.jpg'))) == 3


def test_bad_urls_never_write_outside_dest(tmp_path):
    dest = tmp_path/'d'
    r = download_image('file:///etc/passwd', dest)
    assert r['status'] == 'rejected' and r['reason'] == 'not an http(s) URL'
    with local_server({'/../../evil.jpg': (200, IMG, photo_bytes(1))}) as srv:
        r = download_image(srv.url + '/%2e%2e/%2e%2e/evil.jpg', dest)
    assert [f.parent for f in tmp_path.rglob('*.jpg')] in ([], [dest])


def test_large_images_are_shrunk(tmp_path):
    with local_server({'/wide.jpg': (200, IMG, photo_bytes(3, size=(1000, 500)))}) as srv:
        r = download_image(srv.url + '/wide.jpg', tmp_path, max_size=200)
    assert r['status'] == 'ok' and (int(r['width']), int(r['height'])) == (200, 100)
    assert Image.open(tmp_path/r['file']).size == (200, 100)
