"""Issue 9, files and uploads: decompression bombs, special files, symlinks, malformed model descriptions, tampered
tensors and ONNX files, CLI mistakes, too few or unreadable photos, file modes. Each case has a time limit: a hang fails."""
import io, json, os, shutil, stat, subprocess, sys, time
from pathlib import Path
import pytest, torch
from PIL import Image
from catdetect.core import DataError, ModelFileError, file_mode, sample_path
from catdetect.images import load_rgb, open_image, check_image
from catdetect.testing import bomb_png

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope='module')
def bomb(tmp_path_factory):
    p = tmp_path_factory.mktemp('bomb')/'b.png'
    p.write_bytes(bomb_png())   # 21 kB, 169 megapixels
    return p


@pytest.mark.timeout(10)
@pytest.mark.parametrize('as_', ['path', 'bytes', 'file'])
def test_bomb_refused_before_decoding(bomb, as_, monkeypatch):
    from PIL import ImageFile
    def no_decode(self, *a, **k): raise AssertionError('decoded a bomb')
    monkeypatch.setattr(ImageFile.ImageFile, 'load', no_decode)   # any decode would fail the test
    src = {'path': bomb, 'bytes': bomb.read_bytes(), 'file': io.BytesIO(bomb.read_bytes())}[as_]
    t = time.perf_counter()
    with pytest.raises(DataError, match=r'too many pixels \(13000x13000\)'): load_rgb(src)
    assert time.perf_counter() - t < 0.5


@pytest.fixture
def specials(tmp_path):
    d = tmp_path/'special'; d.mkdir()
    os.mkfifo(d/'fifo.jpg'); (d/'zero.jpg').symlink_to('/dev/zero'); (d/'dir.jpg').mkdir()
    (d/'dangling.jpg').symlink_to(d/'nowhere.jpg')
    return d


@pytest.mark.timeout(10)
@pytest.mark.parametrize('name,why', [('fifo.jpg', 'FIFO'), ('zero.jpg', 'character device'), ('dir.jpg', 'folder'), ('dangling.jpg', 'does not exist')])
def test_special_files_are_refused_at_once(specials, name, why):
    with pytest.raises(DataError, match=why): open_image(specials/name)
    assert why in check_image(specials/name)


@pytest.mark.timeout(10)
def test_large_jpeg_decodes_in_draft_mode(tmp_path):
    Image.new('RGB', (4000, 3000), (10, 200, 30)).save(tmp_path/'big.jpg')
    im = load_rgb(tmp_path/'big.jpg', draft=(256, 256))
    assert 256 <= min(im.size) and im.size[0] < 4000 and im.mode == 'RGB'


@pytest.mark.timeout(30)
def test_clean_images_sets_special_files_aside_and_leaves_symlinked_folders_alone(tmp_path):
    from catdetect.clean import clean_images
    from catdetect.manifest import Manifest
    root, outside = tmp_path/'data', tmp_path/'elsewhere'
    outside.mkdir()
    for i,c in enumerate(['cat', 'dog']):
        (root/c).mkdir(parents=True)
        for k,f in enumerate(sorted(sample_path().glob('[A-Z]*.jpg' if c == 'cat' else '[a-z]*.jpg'))[:3]): shutil.copy(f, root/c/f.name)
    Image.new('CMYK', (900, 700)).save(outside/'cmyk.jpg'); Image.new('RGB', (30, 20)).save(outside/'tiny.jpg')
    (root/'teddy').symlink_to(outside, target_is_directory=True)
    (root/'cat'/'linked.jpg').symlink_to(outside/'cmyk.jpg')
    os.mkfifo(root/'dog'/'fifo.jpg'); (root/'dog'/'zero.jpg').symlink_to('/dev/zero')
    before = {f.name: (f.stat().st_mtime_ns, f.read_bytes()) for f in outside.iterdir()}
    s = clean_images(root, progress=False)
    assert {f.name: (f.stat().st_mtime_ns, f.read_bytes()) for f in outside.iterdir()} == before   # nothing outside changed
    assert sorted(Path(f).relative_to(root).as_posix() for f in s['outside']) == ['cat/linked.jpg', 'dog/zero.jpg', 'teddy/cmyk.jpg', 'teddy/tiny.jpg']
    assert s['rejected'] == 1 and (root/'dog'/'zero.jpg').is_symlink() and (root/'cat'/'linked.jpg').is_symlink()
    assert 'FIFO' in Manifest(root/'manifest.csv').row_of('.removed/dog/fifo.jpg')['reason']


# -- model files ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def saved(trained, tmp_path_factory):
    from catdetect.modelfile import export_model
    return export_model(trained, tmp_path_factory.mktemp('model')/'pets')


def copy_model(saved, dest, edit=None, tensors=None):
    "A copy of the saved model at `dest`, its JSON changed by `edit`, its tensors by `tensors` (sha256 re-recorded)."
    from safetensors.torch import load, save
    from catdetect.core import sha256_file
    spec = json.loads(saved.read_text())
    w = saved.with_suffix('.safetensors').read_bytes()
    if tensors:
        t = load(w); tensors(t); w = save(t)
    dest.with_suffix('.safetensors').write_bytes(w)
    spec['weights'].update(bytes=len(w), sha256=sha256_file(dest.with_suffix('.safetensors')), file=dest.with_suffix('.safetensors').name)
    if edit: edit(spec)
    dest.with_suffix('.json').write_text(json.dumps(spec))
    return dest.with_suffix('.json')


def _set(path, value):
    def edit(s):
        *parents, last = path
        for p in parents: s = s[p]
        if value is KeyError: del s[last]
        else: s[last] = value
    return edit


FIELDS = {   # one malformed field at a time: (path in the JSON, value), the field the error must name
    'format_version as a string': ((['format_version'], '1'), '`format_version`'),
    'format_version as a bool': ((['format_version'], True), '`format_version`'),
    'unknown top-level key': ((['evil'], 1), "('evil' was unexpected)"),
    'unknown head key': ((['head', 'pretrained_cfg_overlay'], {'file': '/etc/passwd'}), "field `head`: Additional properties are not allowed"),
    'head lin_ftrs negative': ((['head', 'lin_ftrs'], [-3]), '`head.lin_ftrs[0]`'),
    'head ps too many': ((['head', 'ps'], [0.1, 0.2]), '`head.ps`'),
    'head concat_pool a string': ((['head', 'concat_pool'], 'yes'), '`head.concat_pool`'),
    'n_out of 1': ((['n_out'], 1), '`n_out`'),
    'n_out huge': ((['n_out'], 10**9), '`n_out`'),
    'classes not a list': ((['classes'], 'cat,dog'), '`classes`'),
    'classes repeated': ((['classes'], ['cat', 'cat']), 'names a class twice'),
    'classes of numbers': ((['classes'], [1, 2]), '`classes['),
    'Resize of 0': ((['item_tfms', 0, 'size'], [0, 96]), '`item_tfms[0].size[0]`'),
    'Resize of one number': ((['item_tfms', 0, 'size'], [96]), '`item_tfms[].size`'),
    'Resize huge': ((['item_tfms', 0, 'size'], [100000, 96]), '`item_tfms[0].size[0]`'),
    'Resize method unknown': ((['item_tfms', 0, 'method'], 'explode'), '`item_tfms[0].method`'),
    'transform unknown': ((['item_tfms', 0, 'type'], 'Exec'), '`item_tfms[0].type`'),
    'mean of length 2': ((['mean'], [0.5, 0.5]), '`mean`'),
    'std of zero': ((['std'], [0, 1, 1]), '`std[0]`'),
    'mean NaN': ((['mean'], [float('nan'), 0, 0]), '`mean[0]`'),
    'calibration key missing': ((['calibration', 'min_confidence'], KeyError), "'min_confidence' is a required property"),
    'temperature negative': ((['calibration', 'temperature'], -1), '`calibration.temperature`'),
    'min_confidence above 1': ((['calibration', 'min_confidence'], 2), '`calibration.min_confidence`'),
    'weights sha256 short': ((['weights', 'sha256'], 'abc'), '`weights.sha256`'),
    'weights bytes a string': ((['weights', 'bytes'], '13'), '`weights.bytes`'),
    'weights missing': ((['weights'], KeyError), "'weights' is a required property"),
    'arch unknown': ((['arch'], 'no_such_net'), '`arch`'),
    'arch a list': ((['arch'], ['resnet18']), '`arch`'),
    'training counts negative': ((['training', 'class_counts'], {'cat': -1}), '`training.class_counts.cat`'),
}


@pytest.mark.slow
@pytest.mark.parametrize('case', list(FIELDS))
def test_each_malformed_field_is_named(saved, tmp_path, case):
    from catdetect.predict import load_predictor
    (path, value), field = FIELDS[case]
    j = copy_model(saved, tmp_path/'m', _set(path, value))
    with pytest.raises(ModelFileError) as e: load_predictor(j)
    assert field in str(e.value) and 'What to do' in str(e.value), str(e.value)


@pytest.mark.slow
@pytest.mark.parametrize('case,change,why', [
    ('a tensor in float64', lambda t: t.update({k: v.double() for k,v in list(t.items())[:1]}), 'wrong dtype'),
    ('a NaN weight', lambda t: next(v for v in t.values() if v.is_floating_point() and v.numel() > 1).view(-1).__setitem__(0, float('nan')), 'NaN'),
    ('an extra tensor', lambda t: t.update(extra=torch.zeros(3)), "don't fit"),
    ('a tensor missing', lambda t: t.pop(next(iter(t))), "don't fit"),
    ('centroids of the wrong width', lambda t: t.update({'catdetect.centroids': torch.zeros(2, 7)}), 'class centres'),
])
def test_tampered_tensors_are_refused(saved, tmp_path, case, change, why):
    from catdetect.modelfile import load_weights
    j = copy_model(saved, tmp_path/'m', tensors=change)
    with pytest.raises(ModelFileError, match=why): load_weights(j)


@pytest.mark.slow
@pytest.mark.timeout(20)
@pytest.mark.parametrize('which', ['json', 'safetensors'])
@pytest.mark.parametrize('kind', ['fifo', 'dev-zero', 'folder'])
def test_special_model_files_fail_at_once(saved, tmp_path, which, kind):
    from catdetect.predict import load_predictor
    j = copy_model(saved, tmp_path/'m')
    f = j.with_suffix('.' + which); f.unlink()
    {'fifo': lambda: os.mkfifo(f), 'dev-zero': lambda: f.symlink_to('/dev/zero'), 'folder': lambda: f.mkdir()}[kind]()
    with pytest.raises(ModelFileError, match='not a regular file'): load_predictor(j)


@pytest.mark.slow
@pytest.mark.timeout(20)
def test_oversized_or_deep_json_is_refused(saved, tmp_path):
    from catdetect.modelfile import read_spec
    (tmp_path/'big.json').write_text('{"format": "catdetect-model", "x": "' + 'a' * 2_000_000 + '"}')
    with pytest.raises(ModelFileError, match='more than the 1,000,000 allowed'): read_spec(tmp_path/'big.json')
    (tmp_path/'deep.json').write_text('[' * 100_000 + ']' * 100_000)
    with pytest.raises(ModelFileError, match='not valid JSON|not a catdetect'): read_spec(tmp_path/'deep.json')


@pytest.mark.slow
def test_saved_model_files_follow_the_umask(saved):
    for f in (saved, saved.with_suffix('.safetensors')): assert stat.S_IMODE(f.stat().st_mode) == file_mode()


@pytest.mark.slow
@pytest.mark.parametrize('engine', ['onnxruntime', 'openvino'])
def test_onnx_cache_is_checked_by_its_own_hash(saved, trained, tmp_path, engine):
    pytest.importorskip(engine)
    from catdetect.core import cache_dir
    from catdetect.predict import Predictor
    photo = sorted(sample_path().glob('*.jpg'))[0]
    ref = Predictor.load(saved, backend='torch').predict(photo)
    onx = Predictor.load(saved, backend=engine)
    cached = cache_dir('onnx')/f'{onx.onnx_key()[:32]}.onnx'
    assert cached.exists() and abs(onx.predict(photo).prob - ref.prob) < 1e-4
    other = Predictor.load(copy_model(saved, tmp_path/'other', tensors=lambda t: [v.mul_(0.5) for k,v in t.items() if v.is_floating_point() and 'head' not in k]))
    other.to_onnx(cached)   # another network put in its place
    assert abs(Predictor.load(saved, backend=engine).predict(photo).prob - ref.prob) < 1e-4   # noticed, re-exported
    cached.write_bytes(b'\x08\x01garbage')                                                     # garbage: re-exported too
    assert abs(Predictor.load(saved, backend=engine).predict(photo).prob - ref.prob) < 1e-4
    a, b = Predictor.from_learner(trained), Predictor.from_learner(trained)
    assert a.onnx_key() == b.onnx_key() != other.onnx_key()   # named by content, never by id()
    assert not [f for f in cache_dir('onnx').iterdir() if f.name.startswith('.')]   # no temporary files left


def test_a_subprocess_after_the_engines_are_gone():
    # runs right after the test above: with an OpenVINO Core per network, this fork crashed the whole test process
    import gc
    gc.collect()
    assert subprocess.run([sys.executable, '-c', 'print(42)'], capture_output=True, text=True, timeout=60).stdout.strip() == '42'


# -- training and the command line ------------------------------------------------------------------------------------

def run_cli(*args, cwd=None):
    return subprocess.run([str(Path(sys.executable).parent/'catdetect'), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


def small_folder(d, per_class=6):
    for c,pat in (('cat', '[A-Z]*.jpg'), ('dog', '[a-z]*.jpg')):
        (d/c).mkdir(parents=True, exist_ok=True)
        for f in sorted(sample_path().glob(pat))[:per_class]: shutil.copy(f, d/c/f.name)
    return d


def test_training_data_errors_come_before_training(tmp_path):
    from catdetect.data import folder_dls
    d = small_folder(tmp_path/'one', per_class=1)
    with pytest.raises(DataError, match="'cat' has 1, 'dog' has 1; each class needs at least 5"): folder_dls(d)
    d = small_folder(tmp_path/'cut')
    for f in (d/'cat').iterdir(): f.write_bytes(f.read_bytes()[:2000])   # a class of truncated JPEGs
    with pytest.raises(DataError, match="6 of 12 files .* can't be used: .*cannot be decoded"): folder_dls(d)
    d = small_folder(tmp_path/'bomb')
    (d/'dog'/'bomb.png').write_bytes(bomb_png())
    with pytest.raises(DataError, match='too many pixels'): folder_dls(d)


@pytest.mark.parametrize('args,msg', [
    (['download', '{tmp}/d', '{tmp}/missing.txt'], 'missing.txt does not exist'),
    (['train', '{tmp}/nothing'], 'is not a folder'),
    (['train', '{tmp}/one'], 'each class needs at least 5'),
    (['train', '{tmp}/cut'], "can't be used"),
    (['predict', '{tmp}/no-model', 'x.jpg'], 'No model description'),
])
def test_cli_mistakes_are_one_line_and_non_zero(tmp_path, args, msg):
    small_folder(tmp_path/'one', per_class=1)
    d = small_folder(tmp_path/'cut')
    for f in (d/'cat').iterdir(): f.write_bytes(f.read_bytes()[:2000])
    out = run_cli(*[a.format(tmp=tmp_path) for a in args], cwd=tmp_path)
    lines = out.stderr.strip().splitlines()
    assert out.returncode != 0 and len(lines) == 1 and lines[0].startswith('catdetect: ') and msg in lines[0], out.stderr
    assert 'Traceback' not in out.stderr


@pytest.mark.slow
def test_cli_predict_answers_the_others_then_exits_non_zero(saved, tmp_path, specials):
    good = sorted(sample_path().glob('*.jpg'))[0]
    out = run_cli('predict', saved, good, tmp_path/'missing.jpg', specials/'fifo.jpg', good, cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    assert out.stdout.count(f'{good}\t') == 2
    assert 'missing.jpg\terror\t' in out.stderr and 'fifo.jpg\terror\t' in out.stderr and '2 of 4 images could not be classified' in out.stderr
    ok = run_cli('predict', saved, good, cwd=tmp_path)
    assert ok.returncode == 0 and ok.stdout.startswith(str(good))


def test_cli_app_finds_voila_beside_the_interpreter(monkeypatch, tmp_path):
    import importlib.util
    import catdetect.cli as cli
    monkeypatch.setenv('PATH', str(tmp_path))   # no voila on PATH: as with .venv/bin/catdetect and no activated venv
    if importlib.util.find_spec('voila'): assert cli._voila() == [sys.executable, '-m', 'voila']
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name: None)
    with pytest.raises(Exception, match='needs Voila, which is not installed for'): cli._voila()


@pytest.mark.timeout(10)
def test_a_special_pickle_is_refused_even_when_trusted(tmp_path):
    from catdetect.modelfile import load_pickled_learner
    os.mkfifo(tmp_path/'m.pkl')
    with pytest.raises(ModelFileError, match='not a regular file'): load_pickled_learner(tmp_path/'m.pkl', trusted=True)
