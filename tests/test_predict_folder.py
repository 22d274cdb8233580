"A folder of photos into a CSV (streamed, resumable, a row per file), from the library, the CLI and Dask workers."
import csv, shutil, subprocess, sys
from pathlib import Path
import pytest
from catdetect.core import sample_path
from catdetect.predict import predict_folder, load_predictor

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def saved(trained, tmp_path_factory):
    from catdetect.modelfile import export_model
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


ODD = ['cr\r.jpg', 'lf\nname.jpg', '=HYPERLINK("x").jpg', '+1.jpg', '-2.jpg', '@sum.jpg', '"quoted", comma.jpg',
       "'apostrophe.jpg", 'tab\tname.jpg']


def test_odd_file_names_round_trip_and_spreadsheets_see_no_formula(saved, tmp_path):
    import os
    from catdetect.core import read_csv_rows
    d = tmp_path/'odd'; d.mkdir()
    photo = sorted(sample_path().glob('*.jpg'))[0]
    names = ODD + [os.fsdecode(b'latin-\xe9-\xff.jpg')]   # not UTF-8: such a name stopped the whole run before
    for n in names: shutil.copy(photo, d/n)
    (d/'again').symlink_to('.')   # a link loop: the walk followed it for ever before
    out = predict_folder(saved, d, tmp_path/'odd.csv', bs=4, progress=False)
    got = read_csv_rows(out)
    assert sorted(r['file'] for r in got) == sorted(str(d/n) for n in names)
    assert all(r['label'] in ('cat', 'dog') for r in got)
    raw = out.read_bytes()
    for bad in (b'"=', b'"+', b'"-', b'"@', b'"\t'): assert bad not in raw, bad
    predict_folder(saved, d, out, bs=4, progress=False)   # a rerun finds every row and classifies nothing again
    assert len(read_csv_rows(out)) == len(names)


def test_a_torn_last_row_is_mended_on_resume_and_a_foreign_csv_refused(saved, folder, tmp_path):
    from catdetect.core import read_csv_rows, DataError
    out = predict_folder(saved, folder, tmp_path/'out.csv', bs=4, progress=False)
    full = read_csv_rows(out)
    data = out.read_bytes()
    out.write_bytes(data[:len(data) - 30])   # killed in the middle of the last row, as a full disk leaves it
    predict_folder(saved, folder, out, bs=4, progress=False)
    again = read_csv_rows(out)
    assert sorted(r['file'] for r in again) == sorted(r['file'] for r in full)   # every photo exactly once
    (tmp_path/'other.csv').write_text('name,amount\nrent,1200\n')
    with pytest.raises(DataError, match='not a CSV catdetect wrote'): predict_folder(saved, folder, tmp_path/'other.csv', progress=False)
    assert (tmp_path/'other.csv').read_text() == 'name,amount\nrent,1200\n'
    r = subprocess.run([sys.executable, '-c', 'from catdetect.cli import main; main()', 'predict', str(saved), str(folder), '--out', str(tmp_path/'other.csv')],
                       capture_output=True, text=True)
    assert r.returncode != 0 and 'not a CSV catdetect wrote' in r.stderr and 'unexpected' not in r.stderr.lower(), r.stderr[-1000:]


def test_a_full_disk_is_a_catdetect_error_and_the_rerun_completes(saved, folder, tmp_path):
    import resource
    from catdetect.core import read_csv_rows
    code = f"""
import resource
from catdetect.predict import predict_folder
resource.setrlimit(resource.RLIMIT_FSIZE, (600, 600))   # as a full disk: writes past 600 bytes fail
predict_folder({str(saved)!r}, {str(folder)!r}, {str(tmp_path/'out.csv')!r}, bs=4, progress=False)
"""
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode != 0 and 'CatdetectError' in r.stderr and 'Could not write' in r.stderr, r.stderr[-2000:]
    predict_folder(saved, folder, tmp_path/'out.csv', bs=4, progress=False)
    got = [r['file'] for r in read_csv_rows(tmp_path/'out.csv')]
    assert len(got) == len(set(got)) == 13
