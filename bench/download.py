#!/usr/bin/env python
"""Download speed and what gets kept: catdetect's `download_images` against fastai's, on the same URLs, served
from this machine with a latency per request, in the same run.

    python bench/download.py [--n 500] [--latency 0.05] [--bad 0.1] [--workers 8]

A server in a separate process serves N URLs: mostly real JPEG photos, and a fraction of what the web really
returns (HTML error pages sent as image/jpeg, truncated JPEGs, 404s, text/html responses, empty bodies, copies of
other photos under new URLs). Both functions download all of them, first with the same number of workers and timeout, then each as called
with its own defaults (fastai: 8 workers, catdetect: 16);
each runs `--repeat` times, in alternating order, into a fresh folder, and its best time counts;
the script prints images/s, the ratio, and how many files each kept, how many of those are not readable images
(full decode with Pillow), and how many are byte-identical copies.
"""
import argparse, contextlib, hashlib, io, multiprocessing as mp, os, shutil, tempfile, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
import numpy as np
from PIL import Image
from catdetect.testing import photo_bytes


def make_web(n, bad_frac, seed=0):
    "Path -> (status, headers, body) for `n` URLs, a fraction `bad_frac` of them bad."
    rng = np.random.default_rng(seed)
    img = {'Content-Type': 'image/jpeg'}
    kinds = ['html', 'truncated', '404', 'text', 'empty', 'copy']
    web = {}
    for i in range(n):
        if rng.random() < bad_frac:
            k = kinds[i % len(kinds)]
            web[f'/{i}.jpg'] = {'html': (200, img, b'<!DOCTYPE html><html><body>Image not available</body></html>'),
                                'truncated': (200, img, photo_bytes(i, (400, 300))[:3000]), '404': (404, {'Content-Type': 'text/html'}, b'not found'),
                                'text': (200, {'Content-Type': 'text/html'}, b'<html>hotlinking not allowed</html>'),
                                'empty': (200, img, b''), 'copy': (200, img, photo_bytes(0, (400, 300)))}[k]
        else: web[f'/{i}.jpg'] = (200, img, photo_bytes(i, (400, 300)))
    return web


def serve(web, latency, port_q, stop):
    from catdetect.testing import local_server
    with local_server(web, latency=latency) as srv:
        port_q.put(srv.url); stop.wait()


def readable(f):
    try:
        with Image.open(f) as im: im.load()
        return True
    except Exception: return False


def survey(d):
    fs = [f for f in Path(d).rglob('*') if f.is_file() and f.name != 'manifest.csv']
    bad = sum(not readable(f) for f in fs)
    digests = [hashlib.sha256(f.read_bytes()).hexdigest() for f in fs]
    return dict(files=len(fs), bad=bad, copies=len(digests) - len(set(digests)))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--n', type=int, default=500)
    p.add_argument('--latency', type=float, default=0.05, help='seconds the server waits before each answer')
    p.add_argument('--bad', type=float, default=0.1, help='fraction of URLs that are not good photos')
    p.add_argument('--workers', type=int, default=8)
    p.add_argument('--timeout', type=float, default=4)
    p.add_argument('--repeat', type=int, default=3, help='runs of each (best time kept)')
    a = p.parse_args()
    web = make_web(a.n, a.bad)
    q, stop = mp.Queue(), mp.Event()
    server = mp.Process(target=serve, args=(web, a.latency, q, stop), daemon=True); server.start()
    base = q.get(timeout=30)
    urls = [base + u for u in web]
    from fastai.vision.utils import download_images as fastai_download
    from catdetect.download import download_images as catdetect_download
    out = Path(tempfile.mkdtemp())
    res = {}
    runs = [('fastai', lambda d: fastai_download(d, urls=urls, n_workers=a.workers, timeout=a.timeout)),
            ('catdetect', lambda d: catdetect_download(d, urls=urls, n_workers=a.workers, timeout=a.timeout, progress=False)),
            ('fastai, its defaults', lambda d: fastai_download(d, urls=urls)),
            ('catdetect, its defaults', lambda d: catdetect_download(d, urls=urls, progress=False))]
    for rep in range(a.repeat):                 # alternate the order, keep each one's best time
        for name, f in (runs if rep % 2 == 0 else runs[::-1]):
            d = out/f'{name}{rep}'
            with contextlib.redirect_stdout(io.StringIO()):   # fastai's progress bar
                t = time.time(); f(d); secs = time.time() - t
            if name not in res or secs < res[name]['secs']: res[name] = dict(secs=secs, rate=a.n/secs, **survey(d))
    stop.set(); server.join(5)
    good = sum(1 for v in web.values() if v[0] == 200 and v[2][:3] == b'\xff\xd8\xff' and readable(io.BytesIO(v[2])))
    print(f"{a.n} URLs ({good} good photos, {len(set(v[2] for v in web.values() if v[0] == 200 and readable(io.BytesIO(v[2]))))} distinct), "
          f"{a.latency*1000:.0f} ms latency per request, {a.workers} workers, timeout {a.timeout:g} s, {os.cpu_count()} cores")
    print("\n| download_images | wall time | images/s (URLs/s) | ratio | files kept | not readable images | byte-identical copies |")
    print("|---|---|---|---|---|---|---|")
    for name in ('fastai', 'catdetect', 'fastai, its defaults', 'catdetect, its defaults'):
        r, base = res[name], res['fastai' if 'defaults' not in name else 'fastai, its defaults']
        label = f"{name} ({a.workers} workers)" if 'defaults' not in name else name
        print(f"| {label} | {r['secs']:.1f} s | {r['rate']:.1f} | {r['rate']/base['rate']:.2f}x | {r['files']} | {r['bad']} | {r['copies']} |")
    shutil.rmtree(out)
