"A folder of photos into a CSV (streamed, resumable, a row per file), from the library, the CLI and Dask workers."
import csv, shutil, subprocess, sys
from pathlib import Path
import pytest
from catdetect.core import sample_path
from catdetect.predict import predict_folder, load_predictor

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def saved(trained, tmp_path_factory):
    from catdetect.export import export_model
    return export_model(trained, tmp_path_factory.mktemp('model')/'pets')


@pytest.fixture
def folder(tmp_path):
    d = tmp_path/'photos'; (d/'sub').mkdir(parents=True)
    for i,f in enumerate(sorted(sample_path().glob('*.jpg'))[:12]): shutil.copy(f, d/('sub' if i % 3 == 0 else '')/f.name)
    (d/'broken.jpg').write_bytes(b'<html>gone</html>')
    return d


def rows(p): return list(csv.DictReader(open(p, newline='')))


def test_folder_to_csv_and_resume(saved, folder, tmp_path):
    out = predict_folder(saved, folder, tmp_path/'out.csv', bs=4, progress=False)
    r = rows(out)
    assert len(r) == 13 and sum(bool(x['error']) for x in r) == 1
    m = load_predictor(saved)
    for x in r[:4]:
        if not x['error']: assert x['guess'] == m.predict(x['file']).guess
    shutil.copy(sorted(sample_path().glob('*.jpg'))[20], folder/'late.jpg')
    predict_folder(saved, folder, out, progress=False)
    assert len(rows(out)) == 14 and rows(out)[-1]['file'].endswith('late.jpg')   # a rerun adds only the new photo


def test_cli_predict_folder(saved, folder, tmp_path):
    cli = str(Path(sys.executable).parent/'catdetect')
    out = subprocess.run([cli, 'predict', str(saved), str(folder), '--out', str(tmp_path/'p.csv')], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert len(rows(tmp_path/'p.csv')) == 13 and 'p.csv' in out.stdout


def test_dask_workers_on_a_local_cluster(saved, folder):
    pytest.importorskip('dask.bag'); distributed = pytest.importorskip('distributed')
    from catdetect.predict import predict_with_dask
    files = sorted(folder.rglob('*.jpg'))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c, distributed.Client(c):
        r = predict_with_dask(saved, files, npartitions=3)
    assert [x['file'] for x in r] == [str(f) for f in files]
    m = load_predictor(saved)
    assert all(x['guess'] == m.predict(x['file']).guess for x in r if not x['error'])
