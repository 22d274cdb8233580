"""The page `export_web` writes, in headless Chromium: from `file://` and over HTTP, its answers against
`Predictor.predict` on real photos (and a large JPEG, a PNG with transparency, an EXIF-rotated photo, a file that is
not an image), names shown as text, no request but for its own files. Skipped where Chromium, Playwright or ONNX Runtime
Web is missing (`.ci/run` installs them; by hand: `npm install onnxruntime-web@1.23.2`, `apt-get install chromium`)."""
import functools, http.server, io, shutil, threading, time
from pathlib import Path
import pytest
from PIL import Image
from catdetect.core import CatdetectError, sample_path

pytestmark = pytest.mark.slow
chromium = shutil.which('chromium') or shutil.which('chromium-browser')
if not chromium: pytest.skip('needs Chromium', allow_module_level=True)
playwright = pytest.importorskip('playwright.sync_api', reason='pip install playwright')
from catdetect.web import find_ort_web, export_web
try: find_ort_web()
except CatdetectError as e: pytest.skip(str(e), allow_module_level=True)


@pytest.fixture(scope='module')
def site(trained, tmp_path_factory):
    from catdetect.modelfile import export_model
    d = tmp_path_factory.mktemp('web')
    model = export_model(trained, d/'pets')
    return export_web(model, d/'site', title='Cat <b>or</b> dog?'), model


@pytest.fixture(scope='module')
def photos(tmp_path_factory):
    "55 real photos, and the odd ones: a large JPEG, a transparent PNG, an EXIF-rotated photo, BMP, WebP, a PNG bomb, a text file, a markup name."
    d = tmp_path_factory.mktemp('photos')
    real = sorted(sample_path().glob('*.jpg'))
    files = [Path(shutil.copy(f, d/f.name)) for f in real[::len(real)//55][:55]]
    Image.open(real[1]).convert('RGB').resize((3000, 2250), Image.BICUBIC).save(d/'large.jpg', quality=90)   # decoded at a reduced scale in Python
    im = Image.open(real[2]).convert('RGBA'); a = Image.new('L', im.size, 0)
    a.paste(128, (10, 10, im.width//2, im.height//2)); a.paste(255, (im.width//2, 0, im.width, im.height)); im.putalpha(a)
    im.save(d/'transparent.png')
    ex = Image.open(real[3]).convert('RGB').transpose(Image.Transpose.ROTATE_90); e = ex.getexif(); e[0x0112] = 6
    ex.save(d/'rotated.jpg', exif=e, quality=92)
    Image.open(real[5]).convert('RGB').save(d/'photo.bmp'); Image.open(real[6]).save(d/'photo.webp', lossless=True)
    from catdetect.testing import bomb_png
    (d/'bomb.png').write_bytes(bomb_png())   # 21 kB, 13,000 x 13,000 pixels
    (d/'notes.txt').write_text('not a photo')
    shutil.copy(real[4], d/'<img src=x onerror=alert(1)>.jpg')
    return files + [d/'large.jpg', d/'transparent.png', d/'rotated.jpg', d/'photo.bmp', d/'photo.webp', d/'bomb.png', d/'notes.txt',
                    d/'<img src=x onerror=alert(1)>.jpg']


def classify_in_chromium(url, files, base):
    "Open `url`, pick `files`; the page's results, its load time, its text, and every request it made."
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=['--no-sandbox', '--disable-gpu', '--disable-background-networking',
                                                                    '--disable-component-update', '--disable-sync', '--no-first-run'])
        page, requests, errors = browser.new_page(), [], []
        page.on('request', lambda r: requests.append(r.url)); page.on('pageerror', lambda e: errors.append(str(e)))
        page.goto(url)
        def poll(js, timeout):   # page.wait_for_function evaluates a string, which the page's policy forbids (rightly)
            end = time.time() + timeout
            while time.time() < end:
                if page.evaluate(js): return
                time.sleep(0.05)
            raise AssertionError(f"{js} never held; page errors: {errors}; status: {page.inner_text('#status')}")
        poll('() => window.catdetect && catdetect.loadMs > 0', 60)
        page.set_input_files('#pick', [str(f) for f in files])
        poll(f'() => catdetect.results.length >= {len(files)}', 300)
        out = dict(results=page.evaluate('catdetect.results'), load_ms=page.evaluate('catdetect.loadMs'), text=page.inner_text('body'),
                   imgs_with_handlers=page.evaluate("document.querySelectorAll('img[onerror], b').length"),
                   csp=page.evaluate("document.querySelector('meta[http-equiv=Content-Security-Policy]').content"))
        browser.close()
    assert not errors, errors
    out['foreign'] = [u for u in requests if not (u.startswith(base) or u.startswith('blob:') or u.startswith('data:'))]
    return out


def test_the_page_answers_as_the_predictor_does(site, photos):
    from catdetect.predict import load_predictor
    page, model = site
    got = classify_in_chromium(page.as_uri(), photos, page.parent.as_uri())
    assert not got['foreign'], got['foreign']                          # no request but for its own files
    assert "connect-src 'none'" in got['csp']
    assert got['imgs_with_handlers'] == 0 and 'Cat <b>or</b> dog?' in got['text'] and '<img src=x onerror=alert(1)>.jpg' in got['text']
    by_name = {r['name']: r for r in got['results']}
    bad, bomb = by_name.pop('notes.txt'), by_name.pop('bomb.png')
    assert not bad['ok'] and "Can't classify notes.txt: it is not an image" in bad['text']
    assert not bomb['ok'] and 'too many pixels (13000x13000)' in bomb['text']   # refused from its header, never decoded
    pred = load_predictor(model, backend='torch')
    diffs, labels = {}, []
    for f in photos:
        if f.name in ('notes.txt', 'bomb.png'): continue
        r, py = by_name[f.name], pred.predict(f)
        assert r['ok'], r
        labels += [f.name] if (r['label'], r['sure']) != (py.label, py.sure) else []
        diffs[f.name] = max(max(abs(py.probs[k] - r['probs'][k]), abs(py.calibrated[k] - r['calibrated'][k])) for k in py.probs)
    assert len(diffs) >= 61 and not labels, labels                          # 55 real photos and the odd ones: 0 label differences
    assert max(diffs.values()) <= 1e-3, sorted(diffs.items(), key=lambda kv: -kv[1])[:5]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass


def test_the_page_works_from_a_static_host(site, photos):
    page, _ = site
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(page.parent)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        base = f'http://127.0.0.1:{srv.server_address[1]}/'
        got = classify_in_chromium(base + 'index.html', photos[:3] + photos[-8:-6], base)
    finally: srv.shutdown()
    assert not got['foreign'], got['foreign']
    assert [r['ok'] for r in got['results']] == [True]*5 and all(r['text'].startswith('Prediction: ') for r in got['results'])


def test_the_page_takes_dropped_photos_and_the_camera(site):
    "A photo dropped on the page, and a frame from the camera (Chromium's fake camera), each get their card."
    import base64
    page_file, _ = site
    photo = sorted(sample_path().glob('[a-z]*.jpg'))[5]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=['--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream',
                                                                    '--use-fake-ui-for-media-stream'])
        page = browser.new_page()
        page.goto(page_file.as_uri())
        while not page.evaluate('() => window.catdetect && catdetect.loadMs > 0'): time.sleep(0.05)
        dt = page.evaluate_handle("""b64 => { const d = new DataTransfer(), s = atob(b64), u = new Uint8Array(s.length);
            for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
            d.items.add(new File([u], 'dropped.jpg', {type: 'image/jpeg'})); return d; }""", base64.b64encode(photo.read_bytes()).decode())
        page.dispatch_event('body', 'drop', {'dataTransfer': dt})
        page.click('#camera')
        page.wait_for_selector('#snap:not([hidden])', timeout=30_000)
        while page.evaluate('() => document.getElementById("video").videoWidth') == 0: time.sleep(0.05)
        page.click('#snap')
        end = time.time() + 60
        while page.evaluate('() => catdetect.results.length') < 2 and time.time() < end: time.sleep(0.05)
        res = page.evaluate('catdetect.results')
        browser.close()
    assert sorted(r['name'] for r in res) == ['camera', 'dropped.jpg'], res
    assert all(r['ok'] and r['text'].startswith('Prediction: ') for r in res)
