"The Gradio app served on 127.0.0.1 and called with Gradio's own client; the Space a model makes."
import subprocess, sys
from pathlib import Path
import pytest
from catdetect.core import sample_path

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
gr = pytest.importorskip('gradio')
gradio_client = pytest.importorskip('gradio_client')


@pytest.fixture(scope='module')
def saved(trained, tmp_path_factory):
    from catdetect.export import export_model
    return export_model(trained, tmp_path_factory.mktemp('model')/'pets')


def test_gradio_app_answers_gradios_client(saved, tmp_path):
    from catdetect.app import gradio_app
    from catdetect.predict import load_predictor
    demo = gradio_app(saved, title='Cat or dog?')
    demo.launch(server_name='127.0.0.1', server_port=None, prevent_thread_lock=True, quiet=True)
    try:
        client = gradio_client.Client(demo.local_url, verbose=False)
        photo = sorted(sample_path().glob('[A-Z]*.jpg'))[0]
        label, text, _ = client.predict(gradio_client.handle_file(str(photo)), api_name='/classify')
        bad = tmp_path/'notes.jpg'; bad.write_bytes(b'<html>not a photo</html>')
        _, bad_text, _ = client.predict(gradio_client.handle_file(str(bad)), api_name='/classify')
    finally: demo.close()
    expected = load_predictor(saved).predict(photo)
    assert label['label'] == expected.guess and text.startswith('Prediction: ')
    assert "Can't classify it" in bad_text and 'HTML page' in bad_text


def test_space_folder(saved, tmp_path):
    cli = str(Path(sys.executable).parent/'catdetect')
    out = subprocess.run([cli, 'space', str(saved), str(tmp_path/'space')], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    files = sorted(f.name for f in (tmp_path/'space').iterdir())
    assert files == ['README.md', 'app.py', 'model.json', 'model.safetensors', 'requirements.txt']
    assert 'sdk: gradio' in (tmp_path/'space'/'README.md').read_text()
    compile((tmp_path/'space'/'app.py').read_text(), 'app.py', 'exec')
    bad = subprocess.run([cli, 'space', str(tmp_path/'missing'), str(tmp_path/'s2')], capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and 'No model description' in bad.stderr and not (tmp_path/'s2').exists()
