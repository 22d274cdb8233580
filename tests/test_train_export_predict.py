"A short training run, export, and load + predict in a fresh Python process."
import subprocess, sys
import pytest
from catdetect.core import sample_path, ModelFileError
from catdetect.export import export_model, load_model
from catdetect.predict import predict, class_probs

pytestmark = pytest.mark.slow


def test_training_learns(trained):
    err = float(trained.validate()[1])
    assert err <= 0.34, err   # 7 held-out photos after ~seconds of training; chance is 0.5


def run_fresh(code, cwd):
    "Run `code` in a new Python process started in `cwd` (no state from this one)."
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_round_trip_in_fresh_process(trained, tmp_path):
    fname = export_model(trained, tmp_path/'m.pkl')
    photo = sample_path()/'Abyssinian_101.jpg'
    here = predict(trained, photo)
    out = run_fresh(f"from catdetect.predict import predict; print(*predict({str(fname)!r}, {str(photo)!r}))", tmp_path)
    assert out.returncode == 0, out.stderr
    label, p = out.stdout.split()
    assert label == here[0] and abs(float(p) - here[1]) < 1e-4


def test_fastbook_is_cat_learner_loads_with_plain_fastai(tmp_path):
    "The classic 'Can't get attribute is_cat on __main__' cannot happen: is_cat is catdetect's."
    from fastai.vision.all import ImageDataLoaders, Resize, get_image_files
    from catdetect.data import is_cat
    from catdetect.train import train_classifier
    fns = get_image_files(sample_path())[:24]
    dls = ImageDataLoaders.from_name_func(sample_path(), fns, valid_pct=0.25, seed=1, label_func=is_cat, item_tfms=Resize(32), bs=8)
    learn = train_classifier(dls, epochs=0)
    fname = export_model(learn, tmp_path/'fastbook.pkl')
    out = run_fresh(f"from fastai.vision.all import *; l = load_learner({str(fname)!r}); "
                    f"print(l.predict(PILImage.create({str(sample_path()/'Bengal_16.jpg')!r}))[0])", tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] in ('True', 'False')   # the last line: fastai's predict prints a progress bar first


def test_load_errors(trained, tmp_path):
    fname = export_model(trained, tmp_path/'m.pkl')
    (tmp_path/'cut.pkl').write_bytes(fname.read_bytes()[:5000])
    with pytest.raises(ModelFileError, match='could not be loaded'): load_model(tmp_path/'cut.pkl')
    with pytest.raises(ModelFileError, match='No model file'): load_model(tmp_path/'none.pkl')


def test_predict_inputs(trained):
    import numpy as np
    from PIL import Image
    photo = sample_path()/'Bengal_16.jpg'
    ref = class_probs(trained, photo)
    for src in (photo, str(photo), photo.read_bytes(), Image.open(photo), np.asarray(Image.open(photo))):
        label, p = predict(trained, src)
        assert label == next(iter(ref)) and abs(p - ref[label]) < 1e-5
