"Safe model files, loading in a fresh process, the Predictor against fastai's predict, 'not sure', bad inputs."
import io, json, pickle, subprocess, sys, warnings
import numpy as np
import pytest, torch
from PIL import Image
from catdetect.core import sample_path, ModelFileError, DataError
from catdetect.modelfile import export_model, read_spec, load_weights, load_pickled_learner, load_learner_safe
from catdetect.predict import Predictor, load_predictor, predict, not_sure

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def saved(trained, tmp_path_factory):
    return export_model(trained, tmp_path_factory.mktemp('model')/'pets')


def run_fresh(code, cwd):
    "Run `code` in a new Python process started in `cwd` (nothing defined from this one)."
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_safe_files_and_description(saved):
    spec = json.loads(saved.read_text())
    assert saved.suffix == '.json' and saved.with_suffix('.safetensors').exists()
    for k in ('arch', 'classes', 'item_tfms', 'mean', 'std', 'versions', 'training', 'metrics', 'calibration', 'weights'):
        assert spec[k] is not None, k
    assert spec['classes'] == ['cat', 'dog'] and spec['item_tfms'][0]['size'] == [96, 96]
    assert spec['calibration']['temperature'] >= 1 and 0 < spec['calibration']['min_similarity'] < 1
    assert spec['training']['n_train'] == 26 and set(spec['versions']) >= {'catdetect', 'fastai', 'torch', 'timm'}


def test_round_trip_in_fresh_process_matches_learn_predict(trained, saved, tmp_path):
    from fastai.vision.core import PILImage
    photos = sorted(sample_path().glob('*.jpg'))[::40]
    code = ("from catdetect.predict import load_predictor\nm = load_predictor(%r)\n"
            "for f in %r: r = m.predict(f); print(r.guess, repr(r.prob))") % (str(saved), [str(p) for p in photos])
    out = run_fresh(code, tmp_path)
    assert out.returncode == 0, out.stderr
    for line, photo in zip(out.stdout.strip().splitlines(), photos):
        with trained.no_bar(): label, idx, probs = trained.predict(PILImage.create(photo))
        guess, prob = line.split()
        assert guess == label and abs(float(prob) - float(probs[idx])) < 1e-4


def test_loading_never_unpickles(saved, monkeypatch):
    def refuse(*a, **k): raise AssertionError('something tried to unpickle')
    monkeypatch.setattr(pickle, 'loads', refuse); monkeypatch.setattr(pickle, 'load', refuse)
    monkeypatch.setattr(torch, 'load', refuse)
    p = Predictor.load(saved)
    assert p.predict(sample_path()/'Bengal_16.jpg').guess in ('cat', 'dog')


def test_pickles_need_opt_in(trained, tmp_path):
    with pytest.warns(UserWarning, match='is a pickle'): f = export_model(trained, tmp_path/'m.pkl')
    with pytest.raises(ModelFileError, match='is a pickle') as e: load_predictor(f)
    assert 'allow_pickle=True' in e.value.remedy
    with pytest.warns(UserWarning, match='only do this for files you trust'):
        assert load_predictor(f, allow_pickle=True).predict(sample_path()/'Bengal_16.jpg').guess in ('cat', 'dog')


def test_fastbook_is_cat_pickle_loads_with_plain_fastai(tmp_path):
    "The classic 'Can't get attribute is_cat on __main__' cannot happen: is_cat is catdetect's."
    from fastai.vision.all import ImageDataLoaders, Resize, get_image_files
    from catdetect.data import is_cat
    from catdetect.train import train_classifier
    fns = get_image_files(sample_path())[:24]
    dls = ImageDataLoaders.from_name_func(sample_path(), fns, valid_pct=0.25, seed=1, label_func=is_cat, item_tfms=Resize(32), bs=8)
    with pytest.warns(UserWarning): fname = export_model(train_classifier(dls), tmp_path/'fastbook.pkl')
    out = run_fresh(f"from fastai.vision.all import *; l = load_learner({str(fname)!r}); "
                    f"print(l.predict(PILImage.create({str(sample_path()/'Bengal_16.jpg')!r}))[0])", tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] in ('True', 'False')   # the last line: fastai's predict prints a progress bar first


@pytest.fixture()
def copy_of(saved, tmp_path):
    for suf in ('.json', '.safetensors'): (tmp_path/('m' + suf)).write_bytes(saved.with_suffix(suf).read_bytes())
    return tmp_path/'m'


def test_truncated_or_tampered_weights(copy_of):
    w = copy_of.with_suffix('.safetensors'); data = w.read_bytes()
    w.write_bytes(data[:len(data)//3])
    with pytest.raises(ModelFileError, match='sha256 differs'): load_predictor(copy_of)
    w.write_bytes(data[:1000] + bytes([data[1000] ^ 0xFF]) + data[1001:])
    with pytest.raises(ModelFileError, match='changed, truncated or replaced'): Predictor.load(copy_of)


def test_json_of_another_model(copy_of, tmp_path):
    spec = json.loads(copy_of.with_suffix('.json').read_text())
    spec.update(n_out=3, classes=['grizzly', 'black', 'teddy'])
    (tmp_path/'m.json').write_text(json.dumps(spec))
    with pytest.raises(ModelFileError, match="don't fit a efficientnet_lite0 with 3 classes"): load_predictor(copy_of)
    spec.update(classes=['grizzly', 'black'])
    (tmp_path/'m.json').write_text(json.dumps(spec))
    with pytest.raises(ModelFileError, match='lists 2 classes for a model with 3 outputs'): load_predictor(copy_of)
    (tmp_path/'m.json').write_text('{"format": "something else"}')
    with pytest.raises(ModelFileError, match='not a catdetect model description'): load_predictor(copy_of)
    (tmp_path/'m.json').write_text('{not json')
    with pytest.raises(ModelFileError, match='not valid JSON'): load_predictor(copy_of)


def test_missing_json(copy_of):
    copy_of.with_suffix('.json').unlink()
    with pytest.raises(ModelFileError, match='its description m.json is missing'): load_predictor(copy_of)


def enc(im, fmt):
    b = io.BytesIO(); im.save(b, fmt); return b.getvalue()


def test_awkward_images(saved):
    p = load_predictor(saved)
    photo = Image.open(sample_path()/'Bengal_16.jpg')
    ref = p.predict(photo)
    rgba = photo.convert('RGBA')
    cases = {'png with alpha': enc(rgba, 'PNG'), 'grayscale': enc(photo.convert('L'), 'JPEG'),
             'cmyk jpeg': enc(photo.convert('CMYK'), 'JPEG'), '1x1': enc(Image.new('RGB', (1, 1), (200, 150, 100)), 'PNG'),
             'numpy': np.asarray(photo), 'float array': np.asarray(photo, dtype=np.float32)/255}
    res = {k: p.predict(v) for k, v in cases.items()}
    assert res['png with alpha'].guess == ref.guess and abs(res['png with alpha'].prob - ref.prob) < 1e-6
    assert res['cmyk jpeg'].guess == ref.guess and res['numpy'].prob == pytest.approx(ref.prob, abs=1e-6)
    assert res['float array'].guess == ref.guess
    assert all(r.label in ('cat', 'dog', not_sure) and 0 <= r.prob <= 1 for r in res.values())
    for bad in (b'%PDF-1.4', b'', b'\xff\xd8\xff' + b'\0'*100, 'no/such/file.jpg'):
        with pytest.raises(DataError): p.predict(bad)


def test_not_sure_about_what_it_never_saw(saved):
    p = load_predictor(saved)
    r = p.predict(Image.new('RGB', (200, 200), (127, 127, 127)))
    assert r.label == not_sure and r.guess in ('cat', 'dog') and not r.sure
    assert 'not sure' in str(r)


def test_batch_equals_one_by_one(saved):
    p = load_predictor(saved)
    photos = sorted(sample_path().glob('*.jpg'))[:7]
    batch = p.predict_batch(photos, bs=3)
    for f, b in zip(photos, batch): assert b.guess == p.predict(f).guess and abs(b.prob - p.predict(f).prob) < 1e-5


@pytest.mark.parametrize('engine', ['onnxruntime', 'openvino'])
def test_engines_agree_with_pytorch(saved, engine):
    pytest.importorskip(engine)
    t, o = load_predictor(saved, backend='torch'), load_predictor(saved, backend=engine)
    assert (t.engine, o.engine) == ('torch', engine)   # float32: never 'openvino bfloat16' for predictions
    photos = sorted(sample_path().glob('*.jpg'))[::30]
    for f, b in zip(photos, o.predict_batch(photos, bs=3)):
        a, c = t.predict(f), o.predict(f)
        assert a.guess == b.guess == c.guess and abs(a.prob - c.prob) < 1e-4 and abs(a.prob - b.prob) < 1e-4


def test_default_engine_is_the_fastest_installed(saved, monkeypatch):
    from catdetect.engines import pick_engine
    assert load_predictor(saved).engine == pick_engine()
    monkeypatch.setenv('CATDETECT_ENGINE', 'torch')   # a new choice is a new Predictor, not the one loaded before
    assert load_predictor(saved).engine == 'torch'


@pytest.mark.parametrize('engine', ['openvino', 'onnxruntime'])
def test_an_engine_that_cannot_compile_the_network(saved, engine, monkeypatch):
    pytest.importorskip(engine)
    import catdetect.engines as engines
    from catdetect.core import ModelFileError
    from catdetect.predict import Predictor
    def broken(*a, **k): raise RuntimeError('unsupported layer')
    monkeypatch.setattr(engines, '_openvino_runner' if engine == 'openvino' else '_ort_runner', broken)
    monkeypatch.setenv('CATDETECT_ENGINE', engine)
    with pytest.warns(UserWarning, match='Running on PyTorch instead'):
        assert Predictor.load(saved).engine == 'torch'   # 'auto': it still predicts
    with pytest.raises(ModelFileError, match="can't run the exported"):
        Predictor.load(saved, backend=engine)           # asked for by name: a clear error


def test_learner_from_safe_format(trained, saved):
    learn = load_learner_safe(saved, trained.dls)
    assert torch.allclose(learn.model[1][-1].weight, trained.model[1][-1].weight)


def test_a_model_of_non_square_inputs_resizes_as_it_was_trained(pets_dir, tmp_path):
    "fastai's `Resize((h, w))` keeps its size as (w, h); the description records [h, w], so the loaded model sees what validation saw."
    from fastai.vision.core import PILImage
    from catdetect.data import pets_dls
    from catdetect.train import train_classifier
    learn = train_classifier(pets_dls(pets_dir, size=(64, 48), augment=False), progress=False)   # (fastai's aug_transforms resample non-square validation batches)
    pred = load_predictor(export_model(learn, tmp_path/'wide'))
    assert pred.item_tfms[0].size == learn.dls.valid.after_item.fs[0].size == (48, 64)
    photo = sorted(pets_dir.glob('*.jpg'))[0]
    assert pred.preprocess(photo).shape == (64, 48, 3)   # height x width x 3
    with learn.no_bar(): _, _, probs = learn.predict(PILImage.create(photo))
    assert np.allclose(list(pred.predict(photo).probs.values()), probs.tolist(), atol=1e-4)
