"The Gradio app served on 127.0.0.1 and called with Gradio's own client (and in Chromium); the Space a model makes."
import os, shutil, subprocess, sys, time
from pathlib import Path
import pytest
from catdetect.core import sample_path

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
gr = pytest.importorskip('gradio')
gradio_client = pytest.importorskip('gradio_client')


@pytest.fixture(scope='module')
def saved(trained, tmp_path_factory):
    from catdetect.modelfile import export_model
    from catdetect.app import save_examples
    model = export_model(trained, tmp_path_factory.mktemp('model')/'pets')
    save_examples(model, sorted(sample_path().glob('[A-Z]*.jpg'))[:1] + sorted(sample_path().glob('[a-z]*.jpg'))[:1])
    return model


@pytest.fixture(scope='module')
def served(saved):
    from catdetect.app import gradio_app
    demo = gradio_app(saved, title='Cat or dog?')
    demo.launch(server_name='127.0.0.1', server_port=None, prevent_thread_lock=True, quiet=True)
    yield demo
    demo.close()


def peak_rss_reset():
    "Reset this process's peak resident memory (Linux), so that `peak_rss_mb` then measures from now; False if it can't."
    try: Path('/proc/self/clear_refs').write_text('5'); return True
    except OSError: return False


def peak_rss_mb():
    return int(next(l for l in Path('/proc/self/status').read_text().splitlines() if l.startswith('VmHWM')).split()[1]) / 1024


def test_gradio_app_answers_gradios_client(saved, served, tmp_path):
    from catdetect.predict import load_predictor
    client = gradio_client.Client(served.local_url, verbose=False)
    photo = sorted(sample_path().glob('[A-Z]*.jpg'))[0]
    label, text = client.predict(gradio_client.handle_file(str(photo)), api_name='/classify')
    bad = tmp_path/'notes.jpg'; bad.write_bytes(b'<html>not a photo</html>')
    _, bad_text = client.predict(gradio_client.handle_file(str(bad)), api_name='/classify')
    expected = load_predictor(saved).predict(photo)
    assert label['label'] == expected.guess and text.startswith('Prediction: ')
    assert "Can't classify it" in bad_text and 'HTML page' in bad_text
    many = [sorted(sample_path().glob('*.jpg'))[i] for i in (0, 50, 100)] + [bad]
    gallery, texts = client.predict([gradio_client.handle_file(str(f)) for f in many], api_name='/classify_many')
    assert len(gallery) == 3 and texts.count('Prediction: ') == 3 and "notes.jpg: Can't classify it" in texts   # several photos at once


def test_a_decompression_bomb_on_the_image_box_is_refused_undecoded(served, tmp_path):
    "A 21 kB PNG of 13,000 x 13,000 pixels: Gradio's own box would decode it (+500 MB); this one never does."
    from PIL import ImageFile
    from catdetect.testing import bomb_png
    bomb = tmp_path/'bomb.png'; bomb.write_bytes(bomb_png())
    decoded, load = [], ImageFile.ImageFile.load
    def spy(im): decoded.append(im.size); return load(im)
    client = gradio_client.Client(served.local_url, verbose=False)
    ImageFile.ImageFile.load = spy
    try:
        measured = peak_rss_reset(); before = peak_rss_mb()
        probs, text = client.predict(gradio_client.handle_file(str(bomb)), api_name='/classify')
        grew = peak_rss_mb() - before
    finally: ImageFile.ImageFile.load = load
    assert probs['label'] is None if isinstance(probs, dict) and 'label' in probs else not probs.get('confidences')
    assert "Can't classify it" in text and 'too many pixels' in text, text
    assert (13000, 13000) not in decoded, decoded          # refused from its header: never decoded
    if measured: assert grew < 150, f"the server's memory grew by {grew:.0f} MB"


def test_a_pasted_bomb_is_not_decoded_by_the_image_box(served):
    "A pasted or webcam photo arrives as a data: URL, which Gradio's own box decodes in full; the app's box saves it as it came."
    import base64
    from PIL import ImageFile
    from gradio.data_classes import ImageData
    from catdetect.testing import bomb_png
    box = next(b for b in served.blocks.values() if isinstance(b, gr.Image) and b.label == 'Photo')   # the app's image box
    url = 'data:image/png;base64,' + base64.b64encode(bomb_png(3000)).decode()
    decoded, load = [], ImageFile.ImageFile.load
    def spy(im): decoded.append(im.size); return load(im)
    ImageFile.ImageFile.load = spy
    try:
        path = box.preprocess(ImageData(url=url))
        assert decoded == [] and Path(path).read_bytes() == bomb_png(3000)    # the file as it came, nothing decoded
        assert Path(path).parent == Path(box.GRADIO_CACHE) and path in box.temp_files   # in Gradio's cache, deleted with it
        assert box.preprocess(ImageData(url=url)) == path                     # pasted again: the same file, not a second
        gr.Image(type='filepath').preprocess(ImageData(url=url))
        assert (3000, 3000) in decoded                                        # what Gradio's own box does with it
    finally: ImageFile.ImageFile.load = load



def test_a_pasted_photo_goes_when_the_app_stops():
    "Pasted photos are kept in Gradio's cache as its uploads are: deleted when the server stops (and after an hour, `delete_cache`)."
    import base64
    from gradio.data_classes import ImageData
    from catdetect.app import guarded_image_box
    with gr.Blocks(delete_cache=(3600, 3600)) as demo:
        box = guarded_image_box(label='Photo'); out = gr.Textbox()
        box.change(lambda p: p, box, out)
    demo.launch(server_name='127.0.0.1', server_port=None, prevent_thread_lock=True, quiet=True)
    try: path = Path(box.preprocess(ImageData(url='data:image/png;base64,' + base64.b64encode(b'a pasted photo').decode())))
    finally: demo.close()
    assert path.name.startswith('pasted-') and not path.exists()

def test_the_image_box_in_chromium(served):
    "The page shows Gradio's image box (with its preview) and the examples; a photo dropped on it gets its answer."
    chromium = shutil.which('chromium') or shutil.which('chromium-browser')
    if not chromium: pytest.skip('needs Chromium')
    playwright = pytest.importorskip('playwright.sync_api')
    photo = sorted(sample_path().glob('[a-z]*.jpg'))[3]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=['--no-sandbox', '--disable-gpu'])
        page = browser.new_page()
        page.goto(served.local_url, timeout=60_000)
        page.wait_for_selector('text=Examples: click one', timeout=60_000)
        page.locator('input[type=file]').first.set_input_files(str(photo))
        page.wait_for_function("() => [...document.querySelectorAll('textarea')].some(t => t.value.startsWith('Prediction: '))", timeout=60_000)
        previews = page.locator('img').count()
        browser.close()
    assert previews >= 3   # the dropped photo's preview and the two examples


def test_space_folder(saved, tmp_path):
    cli = str(Path(sys.executable).parent/'catdetect')
    out = subprocess.run([cli, 'space', str(saved), str(tmp_path/'space')], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    files = sorted(f.name for f in (tmp_path/'space').iterdir())
    assert files == ['README.md', 'app.py', 'model-examples', 'model.json', 'model.safetensors', 'requirements.txt']
    assert len(list((tmp_path/'space'/'model-examples').iterdir())) == 2
    assert 'sdk: gradio' in (tmp_path/'space'/'README.md').read_text()
    compile((tmp_path/'space'/'app.py').read_text(), 'app.py', 'exec')
    bad = subprocess.run([cli, 'space', str(tmp_path/'missing'), str(tmp_path/'s2')], capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and 'No model description' in bad.stderr and not (tmp_path/'s2').exists()
