"""On a machine with a CUDA GPU (a Colab GPU runtime), where fastai puts the DataLoaders and the model on the GPU: the
fast path computes its features on the CPU engines, fastai trains and validates on the GPU, and the `Predictor`
and the saved model run on the CPU. Skipped without CUDA (CI has none); run on a GPU machine."""
import pytest, torch
from catdetect.data import pets_dls
from catdetect.train import train_classifier
from catdetect.modelfile import export_model
from catdetect.predict import Predictor

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA GPU')


@pytest.fixture(scope='module')
def gpu_learn(pets_dir):
    dls = pets_dls(pets_dir, size=96, bs=8)
    assert dls.device.type == 'cuda'   # what fastai does on a GPU machine
    return train_classifier(dls, progress=False)


@pytest.mark.slow
def test_fast_path_on_a_gpu_machine(gpu_learn, tmp_path):
    learn = gpu_learn
    loss, err = learn.validate()   # fastai moves the model to the GPU
    assert next(learn.model.parameters()).device.type == 'cuda' and err <= 0.5
    photo = learn.dls.valid_ds.items[0]
    with learn.no_bar(): label, _, probs = learn.predict(photo)
    p = Predictor.from_learner(learn, calibrate=True)   # the features again, on the CPU
    r = p.predict(photo)
    assert r.guess == label and abs(r.prob - float(probs.max())) < 0.02   # (the GPU convolves in TF32)
    q = Predictor.load(export_model(learn, tmp_path/'m'))
    assert q.predict(photo).guess == label
    learn.validate()   # the learner still works on the GPU after all that
    assert next(learn.model.parameters()).device.type == 'cuda'


@pytest.mark.slow
def test_fine_tuning_on_a_gpu_machine(pets_dir):
    learn = train_classifier(pets_dls(pets_dir, size=96, bs=8), epochs=1, progress=False)
    assert learn.validate()[1] <= 0.5
    learn = train_classifier(pets_dls(pets_dir, size=96, bs=8), fast=False, epochs=1)   # fastbook's fine_tune, as is
    assert learn.validate()[1] <= 0.5
