"""fastbook chapters 1-2 and the fast.ai course's lessons 1-2, cell for cell, in a Jupyter kernel, after
`from catdetect.all import *` instead of fastbook's setup.

Only the data paths differ from the book: they point at local photos (the Oxford-IIIT Pet samples the package
ships, in folders standing in for the bears and birds), and the course's web search is catdetect's, answered by a
local web (`catdetect.testing`). fastai's `vision_learner(dls, resnet34)` loads ImageNet weights from torch's hub
cache; this machine has no internet, so each test puts *randomly initialised* ResNet weights there under the names
torchvision looks for. The book's code paths run exactly; the accuracy of those models means nothing.
The upload widget cells get a file as a person's click would give it: `FileUpload.value` set to what ipywidgets 8
sends. Each book is run again with `from fastai.vision.all import *` where it can be, to show the cells themselves work.
"""
import json, os, shutil, subprocess, sys, textwrap
from datetime import datetime, timezone
from pathlib import Path
import pytest

nbclient = pytest.importorskip('nbclient')
import nbformat
from PIL import Image
from catdetect.core import sample_path

pytestmark = [pytest.mark.slow, pytest.mark.book, pytest.mark.timeout(900)]   # each trains in a kernel: minutes on a loaded 2-core machine
CELL_TIMEOUT = 400   # a cell that hangs fails with its source, before pytest-timeout stops the test

UPLOAD = "{name}.value = ({{'name': 'photo.jpg', 'type': 'image/jpeg', 'size': len(_b), 'content': memoryview(_b), " \
         "'last_modified': __import__('datetime').datetime.now()}},)"

def upload(widget, photo):
    "A cell that does what a person's click on the upload button `widget` does: ipywidgets 8's value for `photo`."
    return f"_b = open({str(photo)!r}, 'rb').read()\n" + UPLOAD.format(name=widget)

# fastbook chapter 1 (01_intro.ipynb): the first model, and the upload cell
CH1 = ["path = untar_data(URLs.PETS)/'images'",
       """def is_cat(x): return x[0].isupper()
dls = ImageDataLoaders.from_name_func(
    path, get_image_files(path), valid_pct=0.2, seed=42,
    label_func=is_cat, item_tfms=Resize(224))

learn = vision_learner(dls, resnet34, metrics=error_rate)
learn.fine_tune(1)""",
       "uploader = widgets.FileUpload()\nuploader",
       "UPLOAD:uploader",
       "img = PILImage.create(uploader.data[0])\nis_cat,_,probs = learn.predict(img)\n"
       "print(f\"Is this a cat?: {is_cat}.\")\nprint(f\"Probability it's a cat: {probs[1].item():.6f}\")"]

# fastbook chapter 2 (02_production.ipynb), from the downloaded bears on
CH2 = ["from fastai.vision.widgets import *",
       "bear_types = 'grizzly','black','teddy'\npath = Path('bears')",
       """if not path.exists():
    path.mkdir()
    for o in bear_types:
        dest = (path/o)
        dest.mkdir(exist_ok=True)
        results = search_images_ddg(f'{o} bear')
        download_images(dest, urls=results)""",
       "fns = get_image_files(path)\nfns",
       "failed = verify_images(fns)\nfailed",
       "failed.map(Path.unlink);",
       """bears = DataBlock(
    blocks=(ImageBlock, CategoryBlock), 
    get_items=get_image_files, 
    splitter=RandomSplitter(valid_pct=0.2, seed=42),
    get_y=parent_label,
    item_tfms=Resize(128))""",
       "dls = bears.dataloaders(path)",
       "dls.valid.show_batch(max_n=4, nrows=1)",
       "bears = bears.new(item_tfms=Resize(128, ResizeMethod.Squish))\ndls = bears.dataloaders(path)\ndls.valid.show_batch(max_n=4, nrows=1)",
       "bears = bears.new(item_tfms=Resize(128, ResizeMethod.Pad, pad_mode='zeros'))\ndls = bears.dataloaders(path)\ndls.valid.show_batch(max_n=4, nrows=1)",
       "bears = bears.new(item_tfms=RandomResizedCrop(128, min_scale=0.3))\ndls = bears.dataloaders(path)\ndls.train.show_batch(max_n=4, nrows=1, unique=True)",
       "bears = bears.new(item_tfms=Resize(128), batch_tfms=aug_transforms(mult=2))\ndls = bears.dataloaders(path)\ndls.train.show_batch(max_n=8, nrows=2, unique=True)",
       "bears = bears.new(\n    item_tfms=RandomResizedCrop(224, min_scale=0.5),\n    batch_tfms=aug_transforms())\ndls = bears.dataloaders(path)",
       "learn = vision_learner(dls, resnet18, metrics=error_rate)\nlearn.fine_tune(4)",
       "interp = ClassificationInterpretation.from_learner(learn)\ninterp.plot_confusion_matrix()",
       "interp.plot_top_losses(5, nrows=1)",
       "cleaner = ImageClassifierCleaner(learn)\ncleaner",
       "for idx in cleaner.delete(): cleaner.fns[idx].unlink()\nfor idx,cat in cleaner.change(): shutil.move(str(cleaner.fns[idx]), path/cat)",
       "learn.export()",
       "path = Path()\npath.ls(file_exts='.pkl')",
       "learn_inf = load_learner(path/'export.pkl')",
       "learn_inf.predict('images/grizzly.jpg')",
       "learn_inf.dls.vocab",
       "btn_upload = widgets.FileUpload()\nbtn_upload",
       "UPLOAD:btn_upload",
       "img = PILImage.create(btn_upload.data[-1])",
       "out_pl = widgets.Output()\nout_pl.clear_output()\nwith out_pl: display(img.to_thumb(128,128))\nout_pl",
       "pred,pred_idx,probs = learn_inf.predict(img)",
       "lbl_pred = widgets.Label()\nlbl_pred.value = f'Prediction: {pred}; Probability: {probs[pred_idx]:.04f}'\nlbl_pred",
       "btn_run = widgets.Button(description='Classify')\nbtn_run",
       """def on_click_classify(change):
    img = PILImage.create(btn_upload.data[-1])
    out_pl.clear_output()
    with out_pl: display(img.to_thumb(128,128))
    pred,pred_idx,probs = learn_inf.predict(img)
    lbl_pred.value = f'Prediction: {pred}; Probability: {probs[pred_idx]:.04f}'

btn_run.on_click(on_click_classify)""",
       "btn_upload = widgets.FileUpload()",
       "VBox([widgets.Label('Select your bear!'), \n      btn_upload, btn_run, out_pl, lbl_pred])",
       "UPLOAD:btn_upload",
       "btn_run.click()\nassert lbl_pred.value.startswith('Prediction: '), lbl_pred.value",
       ]

# the course's lesson 1 ("Is it a bird?"), from its search on; search_images is catdetect's (the course defines one on ddg)
LESSON1 = ["urls = search_images('bird photos', max_images=1)\nurls[0]",
           "from fastdownload import download_url\ndest = 'bird.jpg'\ndownload_url(urls[0], dest, show_progress=False)\n\n"
           "from fastai.vision.all import *\nim = Image.open(dest)\nim.to_thumb(256,256)",
           "download_url(search_images('forest photos', max_images=1)[0], 'forest.jpg', show_progress=False)\n"
           "Image.open('forest.jpg').to_thumb(256,256)",
           """searches = 'forest','bird'
path = Path('bird_or_not')
from time import sleep

for o in searches:
    dest = (path/o)
    dest.mkdir(exist_ok=True, parents=True)
    download_images(dest, urls=search_images(f'{o} photo'))
    sleep(0.1)  # Pause between searches to avoid over-loading server
    download_images(dest, urls=search_images(f'{o} sun photo'))
    sleep(0.1)
    download_images(dest, urls=search_images(f'{o} shade photo'))
    sleep(0.1)
    resize_images(path/o, max_size=400, dest=path/o)""",
           "failed = verify_images(get_image_files(path))\nfailed.map(Path.unlink)\nlen(failed)",
           """dls = DataBlock(
    blocks=(ImageBlock, CategoryBlock), 
    get_items=get_image_files, 
    splitter=RandomSplitter(valid_pct=0.2, seed=42),
    get_y=parent_label,
    item_tfms=[Resize(192, method='squish')]
).dataloaders(path, bs=32)

dls.show_batch(max_n=6)""",
           "learn = vision_learner(dls, resnet18, metrics=error_rate)\nlearn.fine_tune(3)",
           "is_bird,_,probs = learn.predict(PILImage.create('bird.jpg'))\nprint(f\"This is a: {is_bird}.\")\n"
           "print(f\"Probability it's a bird: {probs[0]:.4f}\")"]

# the course's lesson 2 (saving a basic fastai model, and the app that loads it)
LESSON2 = ["def is_cat(x): return x[0].isupper()",
           "path = untar_data(URLs.PETS)/'images'\n\ndls = ImageDataLoaders.from_name_func('.',\n    get_image_files(path), "
           "valid_pct=0.2, seed=42,\n    label_func=is_cat,\n    item_tfms=Resize(192))\ndls.show_batch()",
           "learn = vision_learner(dls, resnet18, metrics=error_rate)\nlearn.fine_tune(3)",
           "learn.export('model.pkl')",
           "learn = load_learner('model.pkl')",
           "im = PILImage.create('dog.jpg')\nim.thumbnail((192,192))\nim",
           "learn.predict(im)",
           "categories = ('Dog', 'Cat')\n\ndef classify_image(img):\n    pred,idx,probs = learn.predict(img)\n"
           "    return dict(zip(categories, map(float,probs)))",
           "classify_image(im)",
           "classify_image('dog.jpg'), classify_image(Path('dog.jpg'))"]

# the same steps on catdetect's own constructions, fastbook's cells around them
OWN = ["dls = pets_dls(path, size=128, bs=8)\nlearn = train_classifier(dls)",
       "interp = ClassificationInterpretation.from_learner(learn)\ninterp.plot_confusion_matrix()",
       "interp.plot_top_losses(5, nrows=1)",
       "cleaner = ImageClassifierCleaner(learn)\ncleaner",
       "learn.show_results(max_n=4)",
       "learn.export()\nlearn_inf = load_learner(path/'export.pkl')\nlearn_inf.predict('images/grizzly.jpg')",
       "uploader = widgets.FileUpload()",
       "UPLOAD:uploader",
       "img = PILImage.create(uploader.data[0])\nis_cat,_,probs = learn_inf.predict(img)\nprint(is_cat, probs)",
       "dls2 = folder_dls('bears', size=128, bs=8)\nlearn2 = train_classifier(dls2)\nlearn2.predict('images/grizzly.jpg')",
       "export_model(learn2, 'bears_model')\nlearn3 = load_learner_safe('bears_model', dls2)\nlearn3.predict('images/grizzly.jpg')"]


def _small_photos(dest, files, size=128):
    dest.mkdir(parents=True, exist_ok=True)
    for f in files:
        im = Image.open(f); im.thumbnail((size, size)); im.save(dest/f.name, quality=90)


@pytest.fixture(scope='module')
def book(tmp_path_factory):
    "A working folder laid out as the book expects: pets under `untar_data`'s path, bears, a photo to classify; fake hub weights."
    root = tmp_path_factory.mktemp('fastbook')
    fs = sorted(sample_path().glob('*.jpg'))
    cats, dogs = [f for f in fs if f.name[0].isupper()], [f for f in fs if f.name[0].islower()]
    _small_photos(root/'data'/'oxford-iiit-pet'/'images', cats[:34] + dogs[:48])   # 65 to train on: one batch of the book's 64
    for i, o in enumerate(('grizzly', 'black', 'teddy')):   # enough for one batch of 64 (fastai drops a partial last one)
        _small_photos(root/'work'/'bears'/o, fs[90+27*i:117+27*i])
    (root/'work'/'images').mkdir(parents=True)
    shutil.copy(dogs[-1], root/'work'/'images'/'grizzly.jpg'); shutil.copy(dogs[-2], root/'work'/'dog.jpg')
    for o in ('bird', 'forest'): _small_photos(root/'web'/o, (cats if o == 'bird' else dogs)[40:52], size=200)
    import torch, torchvision
    hub = root/'torch'/'hub'/'checkpoints'
    hub.mkdir(parents=True)
    for name in ('resnet18', 'resnet34'):   # random weights under the file names torchvision downloads (no internet here)
        url = torchvision.models.get_model_weights(name).DEFAULT.url
        torch.save(getattr(torchvision.models, name)().state_dict(), hub/url.rsplit('/', 1)[-1])
    return root


def run_cells(book, cells, header, name, env_extra=None):
    "Run `cells` after `header` in a fresh kernel in the book's working folder; the executed notebook is kept beside it."
    nb = nbformat.v4.new_notebook()
    photo = book/'data'/'oxford-iiit-pet'/'images'
    photo = sorted(p for p in photo.iterdir() if p.name[0].isupper())[0]
    pre = [header, f"import shutil\nuntar_data = lambda url, *a, **k: Path({str(book/'data'/'oxford-iiit-pet')!r})"]
    src = [upload(c.split(':', 1)[1], photo) if c.startswith('UPLOAD:') else c for c in cells]
    nb.cells = [nbformat.v4.new_code_cell(c) for c in pre + src]
    env = dict(os.environ, TORCH_HOME=str(book/'torch'), MPLBACKEND='Agg', **(env_extra or {}))
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name='python3', resources={'metadata': {'path': str(book/'work')}})
    old = dict(os.environ); os.environ.update(env)
    try: client.execute()
    except (nbclient.exceptions.CellExecutionError, nbclient.exceptions.CellTimeoutError, nbclient.exceptions.DeadKernelError) as e:
        failed = next((c for c in nb.cells if any(o.get('output_type') == 'error' for o in c.get('outputs', []))), None)
        if failed is None: failed = next((c for c in reversed(nb.cells) if c.get('execution_count')), None)   # a timeout: the last cell started
        pytest.fail(f"{name}: a cell failed as written ({type(e).__name__}):\n{failed.source if failed else ''}\n{str(e)[-1500:]}")
    finally:
        os.environ.clear(); os.environ.update(old)
        nbformat.write(nb, book/f'{name}.ipynb')   # with the outputs so far, to look at when a cell failed
    return nb


def outputs(nb, i):
    "The text outputs of code cell `i` (counting the book's cells only, after the two set-up cells)."
    return '\n'.join(o.get('text', '') or o.get('data', {}).get('text/plain', '') for o in nb.cells[i+2].outputs)


def test_fastbook_chapter_1(book):
    nb = run_cells(book, CH1, 'from catdetect.all import *', 'ch1-catdetect')
    assert 'Is this a cat?: ' in outputs(nb, 4)


def test_fastai_alone_fails_the_upload_cell_on_ipywidgets_8(book):
    "The check can fail: without catdetect, fastbook's `uploader.data[0]` is an AttributeError on ipywidgets 8."
    with pytest.raises(pytest.fail.Exception, match='data'):
        run_cells(book, [CH1[0], CH1[2], CH1[3], "img = PILImage.create(uploader.data[0])"],
                  'from fastai.vision.all import *\nfrom fastai.vision.widgets import *', 'ch1-upload-fastai')


def test_fastbook_chapter_2(book):
    nb = run_cells(book, CH2, 'from catdetect.all import *', 'ch2-catdetect')
    said = outputs(nb, CH2.index("learn_inf.predict('images/grizzly.jpg')"))
    assert any(f"'{c}'" in said for c in ('grizzly', 'black', 'teddy')), said


def test_course_lesson_1_with_catdetect_search(book):
    from catdetect.testing import photo_web
    with photo_web(book/'web') as web:
        nb = run_cells(book, LESSON1, 'from catdetect.all import *', 'lesson1-catdetect',
                       dict(CATDETECT_LOCAL_WEB=web.url, CATDETECT_SEARCH_BACKEND='catdetect.testing:web_search'))
    assert 'This is a: ' in outputs(nb, len(LESSON1)-1)
    assert len(list((book/'work'/'bird_or_not'/'bird').glob('*.jpg'))) >= 5


def test_course_lesson_2(book):
    nb = run_cells(book, LESSON2, 'from catdetect.all import *', 'lesson2-catdetect')
    assert "'Dog'" in outputs(nb, len(LESSON2)-1)


def test_the_same_cells_on_catdetects_own_learners(book):
    run_cells(book, ["path = untar_data(URLs.PETS)/'images'"] + OWN, 'from catdetect.all import *\nfrom fastai.vision.widgets import *', 'own-catdetect')
    # the learner saved by fastbook's learn.export() loads and predicts in a fresh process, from a str
    code = f"from catdetect.all import *; print(load_learner(Path({str(book/'data'/'oxford-iiit-pet'/'images'/'export.pkl')!r})).predict('images/grizzly.jpg')[0])"
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=book/'work')
    assert r.returncode == 0 and r.stdout.split()[-1] in ('cat', 'dog'), r.stdout[-500:] + r.stderr[-2000:]


INPUTS = """
import numpy as np, torch
from PIL import Image
from fastai.vision.all import PILImage, TensorImage
def inputs(fn):
    "Every type fastai's `PILImage.create` (so `learn.predict`) takes, for the photo `fn`, and an upload's memoryview."
    a = np.asarray(Image.open(fn).convert('RGB'))
    return dict(str=str(fn), Path=fn, bytes=fn.read_bytes(), memoryview=memoryview(fn.read_bytes()), PIL=Image.open(fn),
                PILImage=PILImage.create(fn), array=a, tensor=torch.from_numpy(a), TensorImage=TensorImage(torch.from_numpy(a).permute(2, 0, 1)))
def answers(learn, fn):
    "For each input type: the label and probabilities of `predict`, and those of `get_preds` on a `test_dl` of it."
    out = {}
    with learn.no_bar():
        for k, x in inputs(fn).items():
            lbl, _, p = learn.predict(x)
            q = learn.get_preds(dl=learn.dls.test_dl([x, x]))[0]
            out[k] = (str(lbl), p.tolist(), q[1].tolist())
    return out
"""


def test_every_input_type_fastai_takes_on_trained_and_reloaded_learners(trained, pets_dir, tmp_path):
    ns = {}; exec(INPUTS, ns)
    fn = sorted(pets_dir.glob('*.jpg'))[0]
    got = ns['answers'](trained, fn)
    ref = got['Path']
    for k, (lbl, p, q) in got.items():
        assert lbl == ref[0], k
        assert max(abs(a - b) for a, b in zip(p + q, ref[1] + ref[1])) < 1e-4, k
    trained.show_results(max_n=2)
    trained.export(tmp_path/'export.pkl')
    code = INPUTS + f"\nfrom catdetect.all import *\nfrom pathlib import Path\nimport json\n" \
           f"print(json.dumps(answers(load_learner({str(tmp_path/'export.pkl')!r}), Path({str(fn)!r}))))"
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    fresh = json.loads(r.stdout.strip().splitlines()[-1])
    assert set(fresh) == set(got)
    for k, (lbl, p, q) in fresh.items():
        assert lbl == ref[0], k
        assert max(abs(a - b) for a, b in zip(p + q, ref[1] + ref[1])) < 1e-4, k
