"Shared fixtures: a tiny data set made from the photos the package ships, an isolated cache, no network."
import os, shutil, tempfile
from pathlib import Path
import pytest

# Before catdetect is imported anywhere: a private cache, and no stage may try the internet.
_cache = tempfile.mkdtemp(prefix='catdetect-test-cache-')
os.environ['CATDETECT_CACHE'] = _cache
os.environ['CATDETECT_OFFLINE'] = '1'
os.environ.setdefault('OMP_NUM_THREADS', '2')

from PIL import Image
from catdetect.core import sample_path


def pytest_unconfigure(config):
    "The private cache goes with the run (weights copied out of their packages, decoded photos: ~140 MB a run)."
    shutil.rmtree(_cache, ignore_errors=True)


def _copy_small(src, dest, size=96):
    "Copy photo `src` to `dest`, shrunk to `size` px on its long side (small images keep tests fast)."
    dest.parent.mkdir(parents=True, exist_ok=True)
    im = Image.open(src); im.thumbnail((size, size)); im.save(dest, quality=90)


@pytest.fixture(scope='session')
def pets_dir(tmp_path_factory):
    "16 cats and 16 dogs under their Oxford-IIIT Pet names, in one flat folder."
    d = tmp_path_factory.mktemp('pets')
    files = sorted(sample_path().glob('*.jpg'))
    for f in [f for f in files if f.name[0].isupper()][:16] + [f for f in files if f.name[0].islower()][:16]:
        _copy_small(f, d/f.name)
    return d


@pytest.fixture(scope='session')
def folder_dir(pets_dir, tmp_path_factory):
    "The same photos in one folder per class ('cat', 'dog'), the layout of fastbook's bears."
    d = tmp_path_factory.mktemp('animals')
    for f in pets_dir.glob('*.jpg'):
        (d/('cat' if f.name[0].isupper() else 'dog')).mkdir(exist_ok=True)
        shutil.copy(f, d/('cat' if f.name[0].isupper() else 'dog')/f.name)
    return d


@pytest.fixture(scope='session')
def trained(pets_dir):
    "A small model trained on `pets_dir` (one head epoch, one fine-tuning epoch) and its DataLoaders."
    from catdetect.data import pets_dls
    from catdetect.train import train_classifier
    dls = pets_dls(pets_dir, size=96, bs=8)
    return train_classifier(dls, epochs=1, seed=0)
