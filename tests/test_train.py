"Fast training: same pipeline as fastai's validation, deterministic, fastai's API intact."
import functools, shutil
import pytest, torch
from catdetect.data import folder_dls, pets_dls
from catdetect.models import create_learner
from catdetect.data import dls_images, valid_batch_tfms
from catdetect.models import CPUMixedPrecision, bf16_ok
from catdetect.engines import body_features
import catdetect.train as tr
from catdetect.train import train_classifier, fit_linear_head, FrozenBatchNorm, fine_tune_cached


def test_images_match_fastai_validation_pipeline(pets_dir):
    dls = pets_dls(pets_dir, size=64, bs=8)
    learn = create_learner(dls, lin_ftrs=[], ps=0.)
    ours = next(dls_images(learn.dls, dls.valid_ds.items[:8], bs=8, progress=False))
    theirs = learn.dls.valid.one_batch()[0]
    assert torch.allclose(ours, theirs, atol=1e-4)   # fastai's identity warp rounds at ~1e-5


def test_valid_batch_tfms_drop_only_identity_warps(pets_dir):
    names = [type(t).__name__ for t in valid_batch_tfms(pets_dls(pets_dir, size=64))]
    assert 'IntToFloatTensor' in names and 'Flip' not in names


def test_linear_head_fits_separable_features(pets_dir):
    learn = create_learner(pets_dls(pets_dir, size=32), lin_ftrs=[], ps=0.)
    X = torch.randn(60, 2560); y = (X[:, 0] > 0).long()
    assert fit_linear_head(learn, X, y) < 0.1
    head = learn.model[1][2:].eval()
    with torch.no_grad(): assert (head(X).argmax(1) == y).float().mean() == 1


def test_seeded_runs_are_identical(pets_dir):
    a = train_classifier(pets_dls(pets_dir, size=64), seed=3)
    b = train_classifier(pets_dls(pets_dir, size=64), seed=3)
    assert [r['error_rate'] for r in a.fast_fit] == [r['error_rate'] for r in b.fast_fit]
    assert torch.equal(a.model[1][-1].weight, b.model[1][-1].weight)


@pytest.mark.parametrize('bar', [None, 0.])
def test_the_automatic_choice_says_what_it_chose_and_reports_the_model_it_returns(pets_dir, monkeypatch, bar):
    "train_classifier's default: the last row of its table is the model the user gets (float32, fastai's own validate); with the trial's bar at 0 (`trial_gain=0.`) a trial runs whatever the head's error."
    if bar is not None: monkeypatch.setattr(tr, 'fine_tune_tail', functools.partial(tr.fine_tune_tail, trial_gain=bar))
    learn = train_classifier(pets_dls(pets_dir, size=64, bs=8), seed=1, progress=False)
    choice = learn.fine_tuning
    assert choice['trial'] in (True, False), choice   # EfficientNet-Lite0: its last stages can be fine-tuned alone
    trials = 'a trial epoch' if choice.get('draws', 1) == 1 else 'two trial epochs'   # a trial near the bar draws twice (`near`)
    if choice['trial']: assert choice['why'].startswith(('fine-tuned the last stages', f'head only: {trials} took')) and 1 <= choice['tried'] <= 4 and choice['trial_gain'] >= (0.005 if bar is None else bar), choice
    elif choice['why'].startswith("head only: the head's expected error on the"): assert bar is None and choice['tried'] == 0 and choice['after'] == choice['before'], choice   # the head all but sure: no trial could pass, none ran
    else: assert choice['why'].startswith(f"head only: {trials} of the last stages on 17% of the training photos") and choice['draws'] in (1, 2) and choice['tried'] == 0 and choice['after'] == choice['before'], choice
    assert (choice['epochs'] > 0) == choice['why'].startswith('fine-tuned') and not hasattr(learn, 'taps')
    with learn.no_bar(): loss, err = learn.validate()
    assert abs(float(err) - learn.fast_fit[-1]['error_rate']) < 1e-6 and abs(float(loss) - learn.fast_fit[-1]['valid_loss']) < 1e-3


def test_trained_model_is_a_normal_fastai_learner(trained):
    from fastai.learner import Learner
    assert isinstance(trained, Learner) and len(trained.fast_fit) == 1 and trained.fast_fit[0]['wd'] > 0
    loss, err = trained.validate()
    assert err <= 0.34   # 6 held-out photos; chance is 0.5
    assert abs(err - trained.fast_fit[-1]['error_rate']) <= 1/6 + 1e-6   # bfloat16 table vs float32 validate


def test_features_are_one_row_per_item(pets_dir):
    dls = pets_dls(pets_dir, size=64)
    learn = create_learner(dls, lin_ftrs=[], ps=0.)
    f = body_features(learn, dls.train_ds.items[:5], progress=False)
    assert f.shape == (5, 2560) and f.dtype == torch.float32
    assert torch.allclose(f, body_features(learn, dls.train_ds.items[:5], progress=False))   # same again


@pytest.mark.slow
def test_fine_tune_cached_keeps_batchnorm_statistics(pets_dir):
    learn = train_classifier(pets_dls(pets_dir, size=64, bs=8))
    bn = next(m for m in learn.model[0].modules() if isinstance(m, torch.nn.BatchNorm2d))
    before = bn.running_mean.clone()
    w = next(learn.model[0].parameters()).clone()
    fine_tune_cached(learn, 1, bs=8)
    assert torch.equal(bn.running_mean, before)                 # FrozenBatchNorm
    assert not torch.equal(next(learn.model[0].parameters()), w)   # but the body did train


@pytest.mark.slow
def test_plain_fastai_path_still_there(pets_dir):
    learn = train_classifier(pets_dls(pets_dir, size=64, bs=8), fast=False, epochs=1)
    assert len(learn.model[1]) > 5 and not hasattr(learn, 'fast_fit')      # fastai's default two-layer head, no fast path
    assert all(p.requires_grad for p in learn.model[0].parameters())        # fine_tune's unfrozen phase ran


def test_cpu_mixed_precision_callback(pets_dir):
    learn = create_learner(pets_dls(pets_dir, size=32, bs=8), cbs=CPUMixedPrecision())
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3)
    assert learn.recorder.values and all(p.dtype == torch.float32 for p in learn.model.parameters())


def test_features_fall_back_to_pytorch_when_the_engine_cannot_run_the_network(pets_dir, monkeypatch):
    import catdetect.engines as engines
    dls = pets_dls(pets_dir, size=64)
    learn = create_learner(dls, lin_ftrs=[], ps=0.)
    ref = body_features(learn, dls.train_ds.items[:4], bf16=False, engine='torch', progress=False)
    def unexportable(*a, **k): raise RuntimeError('unsupported operator')
    monkeypatch.setattr(engines, 'export_onnx', unexportable)
    monkeypatch.delenv('CATDETECT_ENGINE', raising=False)
    if engines.pick_engine() != 'torch':
        with pytest.warns(UserWarning, match='using PyTorch instead'):
            f = body_features(learn, dls.train_ds.items[:4], bf16=False, progress=False)
        assert torch.allclose(f, ref, atol=1e-4)
    with pytest.raises(RuntimeError, match='unsupported operator'):   # an engine asked for by name: its error, not a fallback
        body_features(learn, dls.train_ds.items[:4], engine='onnxruntime', progress=False)


@pytest.mark.parametrize('engine', ['openvino', 'onnxruntime', 'torch'])
def test_every_engine_gives_pytorchs_features(pets_dir, engine):
    pytest.importorskip(engine)
    dls = pets_dls(pets_dir, size=64)
    learn = create_learner(dls, lin_ftrs=[], ps=0.)
    xb = next(dls_images(learn.dls, dls.train_ds.items[:5], progress=False))
    from catdetect.models import head_split
    pool = head_split(learn.model.eval())[0]
    with torch.no_grad(): ref = pool(learn.model[0](xb))
    f = body_features(learn, dls.train_ds.items[:5], views=2, bf16=False, engine=engine, progress=False)
    assert f.shape == (10, 2560) and torch.allclose(f[:5], ref, atol=1e-4)
    with torch.no_grad(): assert torch.allclose(f[5:], pool(learn.model[0](xb.flip(3))), atol=1e-4)   # the mirrored view


def test_the_table_scores_the_model_the_user_gets(trained):
    "The frozen phase's validation figures come from float32 features, the saved model's path, not bfloat16 (chest X-rays: 1.67% shown, 2.50% real)."
    import torch
    from catdetect.train import _features, _validate_head
    from catdetect.engines import body_features
    from catdetect.data import item_labels
    _, Xv, _ = _features(trained, 1, False)
    assert torch.equal(Xv, body_features(trained, trained.dls.valid_ds.items, bf16=False, progress=False))
    _, scores = _validate_head(trained, Xv, item_labels(trained.dls.valid_ds))
    with trained.no_bar(): loss, err = trained.validate()
    assert abs(scores['error_rate'] - float(err)) < 1e-6 and abs(scores['valid_loss'] - float(loss)) < 1e-3, (scores, loss, err)


def test_fine_tuning_leaves_out_the_photos_flagged_as_mislabelled(trained, monkeypatch):
    "The body never trains on a photo flagged as mislabelled: fine-tuning's cached training set is the rest."
    import catdetect.train as tr
    monkeypatch.setattr(trained, 'label_issues', list(trained.label_issues) + [dict(item=trained.dls.train_ds.items[3], split='train')])
    flagged = tr.flagged(trained)
    assert 3 in flagged
    with tr.cached_training(trained, restore=True, progress=False, leave_out=flagged) as learn: n = len(learn.dls.train.dataset)
    assert n == len(trained.dls.train_ds) - len(flagged)
    seen = []
    monkeypatch.setattr(tr, 'cached_dls', lambda dls, **kw: seen.append(kw['leave_out']) or (_ for _ in ()).throw(StopIteration))
    try: tr.fine_tune_cached(trained, 1)
    except (StopIteration, RuntimeError): pass
    assert seen == [flagged]                                  # what fine_tune_cached trains without
