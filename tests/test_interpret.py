"Interpretation figures as PNGs, the data cleaner applying its changes to the files."
import shutil
import pytest
from PIL import Image
from catdetect.core import DataError
from catdetect.data import folder_dls
from catdetect.train import train_classifier
from catdetect.interpret import (interpretation, plot_confusion, plot_worst_predictions, most_confused, item_losses,
                                 apply_cleaning, data_cleaner)

pytestmark = pytest.mark.slow


@pytest.fixture()
def data(folder_dir, tmp_path):
    d = shutil.copytree(folder_dir, tmp_path/'animals')
    shutil.copy(next((d/'cat').iterdir()), d/'dog'/'actually_a_cat.jpg')
    return d


def test_pngs_and_confusion(trained, tmp_path):
    interp = interpretation(trained)
    plot_confusion(trained, tmp_path/'cm.png', interp=interp)
    plot_worst_predictions(trained, 4, tmp_path/'tl.png', interp=interp)
    assert Image.open(tmp_path/'cm.png').format == 'PNG' and Image.open(tmp_path/'tl.png').size[0] > 100
    assert interp.confusion_matrix().sum() == len(trained.dls.valid_ds)
    assert all(n >= 1 for *_, n in most_confused(trained, interp=interp))


def test_item_losses_sorted(trained):
    rows = item_losses(trained)
    assert len(rows) == len(trained.dls.valid_ds) and [r[-1] for r in rows] == sorted((r[-1] for r in rows), reverse=True)


def test_cleaner_moves_files_and_loses_nothing(data):
    dls = folder_dls(data, size=64, bs=8)
    learn = train_classifier(dls)
    w = data_cleaner(learn, items=list(dls.train_ds.items) + list(dls.valid_ds.items), k=6)
    names = [r[0].name for r in w.rows]
    w.choices[0].value = 'cat' if w.rows[0][1] == 'dog' else 'dog'
    w.choices[1].value = '<Remove>'
    w.button.click()
    first, second = w.rows[0][0], w.rows[1][0]
    assert (data/w.choices[0].options[2 if w.rows[0][1] == 'dog' else 3]/first.name).exists() or \
           (data/('cat' if w.rows[0][1] == 'dog' else 'dog')/first.name).exists()
    assert not second.exists() and (data/'.removed'/second.relative_to(data)).exists()
    assert len(list(data.rglob('*.jpg'))) == 33            # nothing deleted
    assert '2 file(s) moved' in w.status.value
    m = (data/'manifest.csv').read_text()
    assert 'relabelled' in m and 'removed' in m


def test_relabel_needs_folder_labels(pets_dir, tmp_path):
    f = shutil.copy(next(pets_dir.iterdir()), tmp_path/'Abyssinian_1.jpg')
    with pytest.raises(DataError, match="doesn't come from a folder"):
        apply_cleaning({f: 'dog'}, tmp_path)   # a file directly in the root: its label is not a folder


def test_find_lr_plots_and_restores_weights(pets_dir, tmp_path):
    import torch
    from catdetect.data import pets_dls
    from catdetect.train import find_lr
    learn = train_classifier(pets_dls(pets_dir, size=64, bs=8))
    before = {k: v.clone() for k, v in learn.model.state_dict().items()}
    res = find_lr(learn, num_it=20, fname=tmp_path/"lr.png")
    assert Image.open(tmp_path/'lr.png').format == 'PNG' and res.valley > 0
    assert all(torch.equal(before[k], v) for k, v in learn.model.state_dict().items())
