#!/usr/bin/env python
"""The web page `export_web` writes, in headless Chromium: page load to first answer, and time per photo after that,
for the demo's model (EfficientNet-Lite0 at 224 px: a 14 MB network), with the page's answers against the `Predictor`'s.

    CATDETECT_ORT_WEB=path/to/onnxruntime-web python bench/web.py [--data ../shared/data/dev/catsdogs] [--n 60] [--runs 3]

Trains the model on the shipped Oxford-IIIT Pet photos (a few seconds), writes the page, then for each run opens it
from `file://` in a fresh browser and picks one photo at once: "first answer" is from the start of navigation to that
photo's answer (scripts parsed, the 12 MB runtime compiled, the network loaded, the photo classified). Then it picks
`--n` photos from `--data` and reports the time per photo as the page measures it (read, decode, resize, run, card),
median and 90th percentile, and the label differences and largest probability difference against `Predictor.predict`.
The browser runs ONNX Runtime Web on one thread: a page served without cross-origin isolation (any static host, or a
file) gets no more.
"""
import argparse, statistics, sys, tempfile, time, shutil
from pathlib import Path
import torch
from machine import cores, machine


def open_page(browser, url, first):
    page, errors = browser.new_page(), []
    page.on('pageerror', lambda e: errors.append(str(e)))
    t0 = time.perf_counter(); page.goto(url)
    page.set_input_files('#pick', [str(first)])
    while not page.evaluate('() => window.catdetect && catdetect.results.length > 0'):
        if errors: raise RuntimeError(errors)
        time.sleep(0.01)
    return page, time.perf_counter() - t0


def wait_for(page, n):
    while page.evaluate('() => catdetect.results.length') < n: time.sleep(0.05)
    return page.evaluate('catdetect.results')


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'/'dev'/'catsdogs'))
    p.add_argument('--n', type=int, default=60)
    p.add_argument('--runs', type=int, default=3)
    a = p.parse_args()
    from playwright.sync_api import sync_playwright
    from fastai.vision.all import get_image_files
    from catdetect.core import sample_path
    from catdetect.data import pets_dls
    from catdetect.train import train_classifier
    from catdetect.modelfile import export_model
    from catdetect.predict import load_predictor
    from catdetect.web import export_web
    print(machine())
    d = Path(tempfile.mkdtemp())
    model = export_model(train_classifier(pets_dls(size=224), progress=False), d/'pets')
    t = time.perf_counter(); page_file = export_web(model, d/'site'); t = time.perf_counter() - t
    print(f"export_web: {t:.1f} s; page files: " + ', '.join(f"{f.name} {f.stat().st_size/1e6:.1f} MB" for f in sorted(page_file.parent.iterdir())))
    photos = sorted(get_image_files(a.data)) if Path(a.data).is_dir() else sorted(sample_path().glob('*.jpg'))
    photos = photos[::max(1, len(photos)//a.n)][:a.n]
    first = sorted(sample_path().glob('*.jpg'))[0]
    chromium = shutil.which('chromium') or shutil.which('chromium-browser')
    loads = []
    with sync_playwright() as pw:
        for r in range(a.runs):
            browser = pw.chromium.launch(executable_path=chromium, args=['--no-sandbox', '--disable-gpu'])
            page, s = open_page(browser, page_file.as_uri(), first); loads.append(s)
            if r == a.runs - 1:
                page.set_input_files('#pick', [str(f) for f in photos])
                res = wait_for(page, len(photos) + 1)[1:]
                load_ms = page.evaluate('catdetect.loadMs')
            browser.close()
    pred = load_predictor(model, backend='torch')
    diffs, labels = [], 0
    for f, r in zip(photos, res):
        py = pred.predict(f)
        if not r['ok']: labels += 1; continue
        labels += (r['label'], r['sure']) != (py.label, py.sure)
        diffs.append(max(abs(py.probs[k] - r['probs'][k]) for k in py.probs))
    ms = sorted(r['ms'] for r in res)
    print(f"{cores()} cores; model {model.with_suffix('.safetensors').stat().st_size/1e6:.1f} MB; Chromium, ONNX Runtime Web (WebAssembly, 1 thread)")
    print(f"page load to first answer: {', '.join(f'{s:.2f}' for s in loads)} s (runs); of which the page's own model load {load_ms:.0f} ms")
    print(f"per photo after that ({len(res)} photos from {a.data if Path(a.data).is_dir() else 'the shipped samples'}): "
          f"median {statistics.median(ms):.0f} ms, 90th percentile {ms[int(0.9*len(ms))]:.0f} ms")
    print(f"against Predictor.predict: {labels} label differences, largest probability difference {max(diffs):.1e}")
