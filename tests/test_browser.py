"""The upload app in a real browser: Voila serves it, headless Chromium uploads a photo through ipywidgets 8's
own front end, and the page shows the prediction. Skipped where Voila, Playwright or Chromium is missing
(`.ci/run` installs them; by hand: `pip install voila playwright` and `apt-get install chromium`)."""
import os, shutil, socket, subprocess, sys, time
from pathlib import Path
import pytest
from catdetect.core import sample_path

pytestmark = pytest.mark.slow
chromium = shutil.which('chromium') or shutil.which('chromium-browser')
voila = shutil.which('voila') or (str(Path(sys.executable).parent/'voila') if (Path(sys.executable).parent/'voila').exists() else None)
playwright = pytest.importorskip('playwright.sync_api', reason='pip install playwright') if chromium and voila else None
if not (chromium and voila): pytest.skip('needs Voila and Chromium', allow_module_level=True)


def free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


@pytest.fixture(scope='module')
def served(trained, tmp_path_factory):
    from catdetect.modelfile import export_model
    from catdetect.app import app_notebook
    d = tmp_path_factory.mktemp('app')
    nb = app_notebook(export_model(trained, d/'pets'), title='Cat or dog?')
    port = free_port()
    env = dict(os.environ, CATDETECT_OFFLINE='1')
    proc = subprocess.Popen([voila, str(nb), f'--port={port}', '--no-browser', '--Voila.ip=127.0.0.1'],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=d)
    deadline = time.time() + 60
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(('127.0.0.1', port)) == 0: break
        time.sleep(0.5)
    yield f'http://127.0.0.1:{port}/', d
    proc.terminate(); proc.wait(10)


def test_upload_a_photo_in_chromium(served):
    url, d = served
    photo = sorted(sample_path().glob('[A-Z]*.jpg'))[0]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=['--no-sandbox', '--disable-gpu', '--disable-background-networking',
                                                                    '--disable-component-update', '--disable-sync', '--no-first-run'])
        page = browser.new_page()
        page.goto(url, timeout=120_000)
        page.wait_for_selector('text=Cat or dog?', timeout=120_000)
        with page.expect_file_chooser() as chooser: page.click('text=Upload photo')   # the widget's own button
        chooser.value.set_files(str(photo))
        page.wait_for_selector('text=Prediction:', timeout=60_000)
        text = page.inner_text('body')
        page.screenshot(path=str(d/'app.png'), full_page=True)
        browser.close()
    assert "Probability it's a cat:" in text or 'Prediction: not sure' in text, text
    assert (d/'app.png').stat().st_size > 10_000
