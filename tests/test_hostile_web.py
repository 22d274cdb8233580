"""Issue 9, downloads: servers that lie, stall, trickle, reset, redirect inward or bomb; each URL's failure is its own,
recorded with its reason; transient failures are retried a bounded number of times over reruns, permanent ones never.
Every case has a time limit, so a hang fails instead of blocking the suite."""
import gzip, io, socket, stat, struct, time
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
import catdetect.download as dl
from catdetect.core import file_mode
from catdetect.download import download_image, download_images
from catdetect.testing import local_server
from catdetect.manifest import Manifest
from catdetect.testing import photo_bytes

IMG = {'Content-Type': 'image/jpeg'}


def headers(h, **extra):
    h.send_response(200); h.send_header('Content-Type', 'image/jpeg')
    for k,v in extra.items(): h.send_header(k.replace('_', '-'), v)
    h.end_headers()


def lying_length(h):
    "Content-Length larger than the body, then the connection closes."
    headers(h, Content_Length='100000'); h.wfile.write(photo_bytes(1)[:700])


def reset_mid_body(h):
    "Half the body, then a TCP reset (SO_LINGER 0)."
    headers(h, Content_Length='5000'); h.wfile.write(photo_bytes(2)[:600]); h.wfile.flush()
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); h.connection.close()


def stall_headers(h):
    "Accepts the request, then says nothing."
    time.sleep(5)


def trickle_headers(h):
    "Headers at one byte every 0.3 s: each read is within the timeout, the whole never ends in time."
    try:
        for b in b'HTTP/1.1 200 OK\r\nX-Slow: ' + b'a' * 200:
            h.wfile.write(bytes([b])); h.wfile.flush(); time.sleep(0.3)
    except OSError: pass


def trickle_body(h):
    headers(h)
    try:
        for i in range(100): h.wfile.write(photo_bytes(3)[i:i+1]); h.wfile.flush(); time.sleep(0.1)
    except OSError: pass


GZIP_BOMB = gzip.compress(photo_bytes(4)[:100] + b'\0' * 50_000_000, compresslevel=6)   # 50 MB of zeros in ~50 kB, made once


def gzip_bomb(h):
    "A JPEG header, then 50 MB of zeros, gzip-compressed: small on the wire, huge once decoded."
    headers(h, Content_Encoding='gzip', Content_Length=str(len(GZIP_BOMB))); h.wfile.write(GZIP_BOMB)


def garbage_status(h):
    h.wfile.write(b'NOT HTTP AT ALL\r\n\r\n')


@pytest.fixture(scope='module')
def hostile():
    routes = {'/lying.jpg': lying_length, '/reset.jpg': reset_mid_body, '/stall.jpg': stall_headers,
              '/trickle-headers.jpg': trickle_headers, '/trickle-body.jpg': trickle_body, '/gzip-bomb.jpg': gzip_bomb,
              '/garbage.jpg': garbage_status, '/ok.jpg': (200, IMG, photo_bytes(5)),
              '/teapot.jpg': (418, {}, b''), '/busy.jpg': (503, {}, b''), '/slow-down.jpg': (429, {}, b''),
              '/to-file.jpg': (302, {'Location': 'file:///etc/passwd'}, b''),
              '/to-nowhere.jpg': (302, {'Location': 'http://[::1'}, b''),
              '/no-location.jpg': (302, {}, b'')}
    with local_server(routes) as srv: yield srv


EXPECT = {'/lying.jpg': ('failed', 'connection'), '/reset.jpg': ('failed', 'connection'),
          '/stall.jpg': ('failed', 'timeout'), '/trickle-headers.jpg': ('failed', 'timeout'),
          '/trickle-body.jpg': ('failed', 'timeout'), '/gzip-bomb.jpg': ('rejected', 'too large'),
          '/garbage.jpg': ('failed', 'connection'), '/ok.jpg': ('ok', ''), '/teapot.jpg': ('rejected', 'HTTP 418'),
          '/busy.jpg': ('failed', 'HTTP 503'), '/slow-down.jpg': ('failed', 'HTTP 429'),
          '/to-file.jpg': ('rejected', 'not an http(s) URL'), '/to-nowhere.jpg': ('rejected', ''),
          '/no-location.jpg': ('rejected', '')}


@pytest.mark.timeout(20)
@pytest.mark.parametrize('path', list(EXPECT))
def test_each_hostile_server_is_one_urls_failure(hostile, tmp_path, path):
    t = time.monotonic()
    r = download_image(hostile.url + path, tmp_path, timeout=1, max_seconds=2, max_bytes=2_000_000)
    status,why = EXPECT[path]
    assert (r['status'], r['reason'][:len(why)]) == (status, why), r
    assert time.monotonic() - t < 5   # bounded by max_seconds (+ the time to notice), whatever the server does
    assert [f.name for f in tmp_path.iterdir() if f.name.startswith('.')] == []   # no partial file left


@pytest.mark.timeout(10)
@pytest.mark.parametrize('url', ['http://[::1', 'http://exa mple.com/a.jpg', 'http://:80/a.jpg', 'ftp://x/a.jpg',
                                 'javascript:alert(1)', '', 'http://a.invalid:99999/x.jpg', 'http://\x00/x.jpg', 42, None])
def test_malformed_urls_are_rejected_not_raised(tmp_path, url):
    r = download_image(url, tmp_path)
    assert r['status'] == 'rejected' and r['reason']


@pytest.mark.timeout(60)
def test_a_batch_survives_every_hostile_server_and_reruns_are_bounded(hostile, tmp_path):
    urls = [hostile.url + p for p in EXPECT] + ['http://[::1']
    kw = dict(timeout=1, max_seconds=2, max_bytes=2_000_000, progress=False)
    rows = download_images(tmp_path/'cats', urls=urls, **kw)
    assert [r['status'] for r in rows] == [s for s,_ in EXPECT.values()] + ['rejected']
    transient = {u for u,r in zip(urls, rows) if r['status'] == 'failed'}
    before = dict(hostile.hits)
    for _ in range(3): rows = download_images(tmp_path/'cats', urls=urls, **kw)
    asked = {p: n - before.get(p, 0) for p,n in hostile.hits.items() if n != before.get(p, 0)}
    assert asked == {u.removeprefix(hostile.url): 2 for u in transient}   # 3 tries in all, then left alone
    assert all(r['attempts'] == '3' for r in rows if r['status'] == 'failed')
    m = Manifest(tmp_path/'cats'/'manifest.csv')
    assert len(m) == len(urls) and all(r['reason'] for r in m if r['status'] != 'ok')


def test_redirect_from_public_to_internal_is_refused(hostile, tmp_path, monkeypatch):
    "'localhost' plays a public host (only 127.0.0.1 counts as internal): no traffic leaves this machine."
    monkeypatch.setattr(dl, 'is_internal_host', lambda host, addresses=None: host == '127.0.0.1')
    with local_server({'/meta.jpg': (302, {'Location': hostile.url + '/ok.jpg'}, b''),
                       '/hop.jpg': (302, {'Location': '/meta.jpg'}, b''),
                       '/fine.jpg': (302, {'Location': hostile.url.replace('127.0.0.1', 'localhost') + '/ok.jpg'}, b'')}) as srv:
        public = srv.url.replace('127.0.0.1', 'localhost')
        for p in ('/meta.jpg', '/hop.jpg'):
            r = download_image(public + p, tmp_path/'a', timeout=2)
            assert r['status'] == 'rejected' and 'internal' in r['reason'], r
        assert download_image(public + '/fine.jpg', tmp_path/'b', timeout=2)['status'] == 'ok'
        assert download_image(srv.url + '/meta.jpg', tmp_path/'c', timeout=2)['status'] == 'ok'   # given as local
        assert download_image(public + '/meta.jpg', tmp_path/'d', timeout=2, allow_internal=True)['status'] == 'ok'
    assert not list((tmp_path/'a').glob('*.jpg'))


def test_internal_addresses():
    assert all(dl.is_internal_ip(a) for a in ['169.254.169.254', '10.0.0.1', '172.16.0.1', '192.168.1.1', '127.0.0.1',
                                               '::1', 'fe80::1', 'fc00::1', '::ffff:169.254.169.254', '0.0.0.0'])
    assert not any(dl.is_internal_ip(a) for a in ['8.8.8.8', '1.1.1.1', '2606:4700::1111'])


def test_downloaded_files_follow_the_umask(hostile, tmp_path):
    r = download_image(hostile.url + '/ok.jpg', tmp_path)
    assert stat.S_IMODE((tmp_path/r['file']).stat().st_mode) == file_mode()
    download_images(tmp_path/'x', urls=[hostile.url + '/ok.jpg'], progress=False)
    assert stat.S_IMODE((tmp_path/'x'/'manifest.csv').stat().st_mode) == file_mode()


def test_missing_or_special_url_file_is_a_clear_error(tmp_path):
    import os
    from catdetect.core import DataError
    with pytest.raises(DataError, match='does not exist'): download_images(tmp_path/'d', url_file=tmp_path/'missing.txt')
    os.mkfifo(tmp_path/'urls.txt')
    with pytest.raises(DataError, match='FIFO'): download_images(tmp_path/'d', url_file=tmp_path/'urls.txt')


def test_relative_data_folder_keeps_one_row_per_photo_and_removals_stick(tmp_path, monkeypatch):
    "The tutorial's way: `Path('bears')` relative to the working folder, through download, clean, cleaner, rerun."
    from catdetect.clean import clean_images
    from catdetect.interpret import apply_cleaning
    monkeypatch.chdir(tmp_path)
    data, web = Path('data'), {f'/{i}.jpg': (200, IMG, photo_bytes(10+i, size=(100, 80))) for i in range(4)}
    with local_server(web) as srv:
        urls = [srv.url + p for p in web]
        download_images(data/'cats', urls=urls, manifest=data/'manifest.csv', progress=False)
        clean_images(data, progress=False)
        m = Manifest(data/'manifest.csv')
        assert len(m) == 4 and all(r['status'] == 'ok' for r in m)
        gone = data/m.get(urls[0])['file']
        apply_cleaning({gone: '<Remove>'}, data)
        download_images(data/'cats', urls=urls, manifest=data/'manifest.csv', progress=False)
    m = Manifest(data/'manifest.csv')
    assert len(m) == 4 and m.get(urls[0])['status'] == 'removed' and not gone.exists()
