"The shape of the package: what `catdetect.all` shares with fastai, renamed names, imports only down the pipeline."
import ast, re, subprocess, sys
from pathlib import Path
import pytest
import catdetect
from catdetect.testing import takes_call_of

pkg = Path(catdetect.__file__).parent
replacements = {'download_images', 'verify_images', 'resize_images'}   # search_images is the course's, not fastai's


def test_catdetect_all_replaces_only_intended_call_compatible_fastai_names():
    import catdetect.all as cd, fastai.vision.all as fva
    shared = {n for n in cd.__all__ if hasattr(fva, n) and getattr(cd, n) is not getattr(fva, n)}
    assert shared == replacements, f"catdetect.all replaces fastai's {sorted(shared - replacements)}: rename them"
    for n in shared: assert takes_call_of(getattr(cd, n), getattr(fva, n)), n
    assert cd.load_model is fva.load_model and cd.plot_top_losses is fva.plot_top_losses and cd.load_pickle is fva.load_pickle


def test_the_check_can_fail():
    import fastai.vision.all as fva
    def old_plot_top_losses(learn, k=9, fname=None, interp=None): ...   # catdetect's name before the rename
    assert not takes_call_of(old_plot_top_losses, fva.plot_top_losses)
    assert not takes_call_of(lambda fns, n_workers=2, extra=None: 0, lambda fns, n_workers=2, other=None: 0)


@pytest.mark.parametrize('module,old', [('predict', 'load_model'), ('interpret', 'plot_top_losses'), ('modelfile', 'load_pickle')])
def test_no_deprecated_aliases_of_fastai_names(module, old):
    "A project with no releases keeps no old names: `load_model`, `plot_top_losses` and `load_pickle` are fastai's and fastcore's."
    import importlib
    assert not hasattr(importlib.import_module(f'catdetect.{module}'), old)


def test_catdetect_all_brings_users_names_not_test_helpers():
    import catdetect.all as cd, catdetect.testing as t
    helpers = {n for n in t.__all__}
    assert helpers and not helpers & set(cd.__all__), sorted(helpers & set(cd.__all__))
    assert 'train_classifier' in cd.__all__ and 'load_predictor' in cd.__all__


def stage(module) -> int:
    "The number of the notebook `module` is generated from."
    return int(re.search(r'File to edit: \.\./nbs/(\d+)_', (pkg/f'{module}.py').read_text()).group(1))


def relative_imports(module):
    "`(module, names)` for each `from .x import ...` in catdetect's `module`."
    for node in ast.walk(ast.parse((pkg/f'{module}.py').read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1: yield node.module, [a.name for a in node.names]
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or '').startswith('catdetect.'):
            yield node.module.split('.')[1], [a.name for a in node.names]


modules = sorted(p.stem for p in pkg.glob('*.py') if not p.stem.startswith('_') and p.stem != 'all')


@pytest.mark.parametrize('module', modules)
def test_imports_go_down_the_pipeline_and_never_take_private_names(module):
    for other, names in relative_imports(module):
        if other == module: continue   # e.g. a function Dask pickles imports its own module by name
        assert stage(other) < stage(module), f"catdetect.{module} (stage {stage(module)}) imports catdetect.{other} (stage {stage(other)})"
        assert not [n for n in names if n.startswith('_')], f"catdetect.{module} imports private names of catdetect.{other}: {names}"
    src = (pkg/f'{module}.py').read_text()
    assert not re.findall(r'\b(?:catdetect\.)?(?:' + '|'.join(m for m in modules if m != module) + r')\._[a-z]\w*', src), f"catdetect.{module} uses another module's private name"


def test_loading_and_using_a_model_imports_only_the_stages_below_it():
    code = "import sys, catdetect.predict; print(' '.join(sorted(m.split('.')[1] for m in sys.modules if m.startswith('catdetect.'))))"
    loaded = set(subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.split())
    assert loaded == {'core', 'images', 'data', 'models', 'engines', 'calibrate', 'modelfile', 'predict'}, loaded


moved = {  # name: (module it was in, module it is in now), in the restructuring of issue 23
    'pick_engine': ('models', 'engines'), 'compile_engine': ('models', 'engines'), 'export_onnx': ('models', 'engines'),
    'from_pixels': ('models', 'engines'), 'feature_net': ('models', 'engines'), 'body_features': ('models', 'engines'),
    'local_server': ('all', 'testing'), 'photo_web': ('all', 'testing'), 'bomb_png': ('all', 'testing')}


@pytest.mark.parametrize('name', sorted(moved))
def test_moved_names_live_in_their_new_stage_and_in_catdetect_all(name):
    import importlib, catdetect.all as cd
    old, new = moved[name]
    assert name in importlib.import_module(f'catdetect.{new}').__all__
    assert name not in importlib.import_module(f'catdetect.{old}').__all__
    if old != 'all': assert getattr(cd, name) is getattr(importlib.import_module(f'catdetect.{new}'), name)
