"Both DataBlocks on the tiny fixture, and the errors for folders that can't train a classifier."
import shutil
import pytest
from catdetect.core import DataError
from catdetect.data import pets_dls, folder_dls, is_cat, pet_label


def test_is_cat_follows_oxford_naming():
    assert is_cat('Abyssinian_1.jpg') and not is_cat('beagle_3.jpg') and is_cat('/x/y/Sphynx_2.png')
    assert pet_label('Ragdoll_5.jpg') == 'cat'
    assert is_cat.__module__ == 'catdetect.data'   # importable, so a pickled Learner finds it


def test_pets_dls(pets_dir):
    dls = pets_dls(pets_dir, size=64, bs=4)
    assert list(dls.vocab) == ['cat', 'dog'] and len(dls.valid_ds) == round(0.2*32)
    x, y = dls.one_batch()
    assert tuple(x.shape) == (4, 3, 64, 64)
    names = [f.name for f in dls.valid_ds.items]
    assert [dls.vocab[int(y)] for _, y in dls.valid_ds] == ['cat' if n[0].isupper() else 'dog' for n in names]


def test_pets_dls_split_is_seeded(pets_dir):
    a = pets_dls(pets_dir, size=32, seed=1).valid_ds.items
    assert a == pets_dls(pets_dir, size=32, seed=1).valid_ds.items != pets_dls(pets_dir, size=32, seed=2).valid_ds.items


def test_pets_dls_with_fastbook_labels(pets_dir):
    assert list(pets_dls(pets_dir, size=32, label_func=is_cat).vocab) == [False, True]


def test_folder_dls(folder_dir):
    dls = folder_dls(folder_dir, size=48, bs=4)
    assert list(dls.vocab) == ['cat', 'dog'] and len(dls.train_ds) + len(dls.valid_ds) == 32


def test_empty_folder(tmp_path):
    with pytest.raises(DataError, match='No images in') as e: folder_dls(tmp_path)
    assert e.value.remedy


def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match='is not a folder'): folder_dls(tmp_path/'nope')


def test_one_class(folder_dir, tmp_path):
    shutil.copytree(folder_dir/'cat', tmp_path/'cat')
    with pytest.raises(DataError, match=r"Only one class \('cat'\)"): folder_dls(tmp_path)


def test_non_images_are_named_not_deleted(folder_dir, tmp_path):
    d = shutil.copytree(folder_dir, tmp_path/'d')
    (d/'cat'/'broken.jpg').write_bytes(b'<html>oops</html>')
    with pytest.raises(DataError, match="1 of 33 files .* can't be used: .*broken.jpg is an HTML page"): folder_dls(d)
    assert (d/'cat'/'broken.jpg').exists()


def test_cached_images_mapped_from_disk_are_the_same_images(pets_dir):
    "Beyond `max_memory`, cached_dls keeps the decoded images in a file mapped from disk: the same batches come out."
    import numpy as np, torch
    from catdetect.data import pets_dls, cached_dls
    dls = pets_dls(pets_dir, size=64, bs=8)
    ram, disk = cached_dls(dls, progress=False), cached_dls(dls, progress=False, max_memory=0)
    assert torch.equal(ram.valid.one_batch()[0], disk.valid.one_batch()[0])
    assert [int(y) for _, y in ram.train.dataset] == [int(y) for _, y in disk.train.dataset]
