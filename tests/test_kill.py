"""Runs killed with SIGKILL at random moments, and processes racing on one folder: afterwards nothing is lost or half-written.

Each test runs the work in real processes (a worker forks a child that works until it is killed) and checks the
files afterwards with catdetect's own readers."""
import json, os, subprocess, sys, textwrap
from pathlib import Path
import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs fork and SIGKILL')


def run_worker(code, *args, timeout=240):
    r = subprocess.run([sys.executable, '-c', textwrap.dedent(code), *map(str, args)], capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


EXPORT_WORKER = """
import os, sys, json, random, signal, time
from pathlib import Path
import torch; torch.set_num_threads(1)   # no OpenMP pool to inherit across fork
from catdetect.data import pets_dls
from catdetect.models import create_learner
from catdetect.modelfile import export_model, read_spec, load_weights
pets, out, n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
learn = create_learner(pets_dls(pets, size=64, bs=8))
m, log = out/'model', out/'exports.log'
export_model(learn, m, calibrate=False)
rng, results = random.Random(0), []
for i in range(n):
    pid = os.fork()
    if pid == 0:   # the child exports new weights again and again until it is killed
        while True:
            with torch.no_grad(): learn.model[-1][-1].weight.add_(1e-3)
            export_model(learn, m, calibrate=False)
            with open(log, 'a') as f: f.write(read_spec(m)['weights']['sha256'] + '\\n')
    time.sleep(rng.uniform(0.02, 0.5))
    os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)
    try: spec = read_spec(m); load_weights(m, spec); results.append(spec['weights']['sha256'])
    except Exception as e: results.append(f'{type(e).__name__}: {e}')
export_model(learn, m, calibrate=False)
print(json.dumps(dict(results=results, exports=log.read_text().split(), files=sorted(f.name for f in out.iterdir()))))
"""


def test_export_model_killed_at_random_moments_always_leaves_a_model_that_loads(pets_dir, tmp_path):
    n = 30
    got = run_worker(EXPORT_WORKER, pets_dir, tmp_path, n)
    failures = [r for r in got['results'] if len(r) != 64]
    assert not failures, failures
    assert len(got['exports']) > n, "the children barely exported: the kills did not land in the middle of the work"
    assert len(set(got['results'])) > 1, "the model did not change between kills"
    assert got['files'] == ['.model.json.lock', 'exports.log', 'model.json', 'model.safetensors'], got['files']


RACE_WORKER = """
import sys, random
from catdetect.download import download_images
dest, base, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
urls = [f'{base}/img/cat/{i}.jpg' for i in range(45)]
random.Random(seed).shuffle(urls)
download_images(dest, urls=urls, n_workers=4, timeout=5, progress=False)
print('[]')
"""


def test_two_processes_downloading_into_one_folder_lose_no_row(tmp_path):
    "Two notebook tabs downloading the same list into one folder: every URL has its row, every file a row that says ok."
    from catdetect.testing import local_server, photo_bytes
    from catdetect.manifest import Manifest
    routes = {f'/img/cat/{i}.jpg': (200, {'Content-Type': 'image/jpeg'}, photo_bytes(i, (64, 48))) for i in range(45)}
    with local_server(routes, latency=0.02) as srv:
        procs = [subprocess.Popen([sys.executable, '-c', RACE_WORKER, str(tmp_path/'cats'), srv.url, str(s)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for s in (1, 2)]
        outs = [p.communicate(timeout=240) for p in procs]
    for p, (o, e) in zip(procs, outs): assert p.returncode == 0, e[-3000:]
    m = Manifest(tmp_path/'cats'/'manifest.csv')
    assert sorted(r['url'] for r in m) == sorted(srv.url + k for k in routes)
    assert {r['status'] for r in m} <= {'ok', 'duplicate'}
    files = sorted(f.name for f in (tmp_path/'cats').glob('*.jpg'))
    assert files == sorted(r['file'] for r in m if r['status'] == 'ok') and len(files) == 45


KILL_LOOP = """
import os, sys, json, random, signal, time
import torch; torch.set_num_threads(1)
def killed_runs(work, n, lo, hi, seed=0, done=None):
    "Run `work()` in a forked child `n` times, each killed with SIGKILL once a random lo..hi of `done()` (default: seconds) has passed since it started (or when it ends)."
    done = done or time.monotonic
    rng, ended, crashed = random.Random(seed), 0, 0
    for i in range(n):
        start = done()
        pid = os.fork()
        if pid == 0:
            code = 0
            try: work()
            except BaseException: import traceback; traceback.print_exc(); code = 1
            finally: os._exit(code)
        t = start + rng.uniform(lo, hi)
        while done() < t:
            p, status = os.waitpid(pid, os.WNOHANG)
            if p: ended += 1; crashed += status != 0; break
            time.sleep(0.002)
        else: os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)
    assert not crashed, f"{crashed} runs crashed"   # their tracebacks are in stderr
    return ended
"""

DOWNLOAD_WORKER = KILL_LOOP + """
from catdetect.testing import local_server, photo_bytes
from catdetect.download import download_images
from catdetect.manifest import Manifest
from pathlib import Path
dest, n = Path(sys.argv[1]), int(sys.argv[2])
routes = {f'/p/{i}.jpg': (200, {'Content-Type': 'image/jpeg'}, photo_bytes(i, (300, 200))) for i in range(40)}
with local_server(routes, latency=0.4) as srv:   # 40 URLs, 4 at a time: 4 s of work, killed after 0.05-0.8 s
    urls = [srv.url + k for k in routes]
    ended = killed_runs(lambda: download_images(dest, urls=urls, n_workers=4, timeout=5, progress=False), n, 0.05, 0.6)
    download_images(dest, urls=urls, n_workers=4, timeout=5, progress=False)   # the run that finishes
m = Manifest(dest/'manifest.csv')
print(json.dumps(dict(ended=ended, rows={r['url'].rsplit('/', 1)[1]: r['status'] for r in m}, ok_files=sorted(r['file'] for r in m if r['status'] == 'ok'),
                      files=sorted(f.name for f in dest.iterdir()))))
"""


def test_download_images_killed_at_random_moments_then_rerun_has_every_url_once(tmp_path):
    got = run_worker(DOWNLOAD_WORKER, tmp_path/'cats', 12)
    assert got['ended'] < 12, "no run was killed in the middle"
    assert sorted(got['rows']) == sorted(f'{i}.jpg' for i in range(40)) and set(got['rows'].values()) == {'ok'}, got['rows']
    photos = [f for f in got['files'] if f.endswith('.jpg')]
    assert photos == got['ok_files'] and len(photos) == 40   # every file has its row, every row its file
    assert [f for f in got['files'] if not f.endswith('.jpg')] == ['.manifest.csv.lock', 'manifest.csv']   # no half download left


PREDICT_WORKER = KILL_LOOP + """
from catdetect.predict import predict_folder
from catdetect.core import read_csv_rows
from pathlib import Path
model, folder, out, n = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
def run(to): return predict_folder(model, folder, to, bs=2, n_workers=1, progress=False)
run(out.with_name('warm.csv'))   # the first run also loads the libraries and the model
t = time.monotonic(); run(out.with_name('calm.csv')); calm = time.monotonic() - t
size = out.with_name('calm.csv').stat().st_size
def written(): return out.stat().st_size if out.exists() else 0
ended = killed_runs(lambda: run(out), n, 0.05*size, 0.4*size, done=written)   # killed after 5-40% of the rows: in the middle, on any CPU
run(out)
def rows(f): return list(read_csv_rows(f))
print(json.dumps(dict(ended=ended, calm=calm, rows=rows(out), calm_rows=rows(out.with_name('calm.csv')))))
"""


def test_predict_folder_killed_at_random_moments_then_rerun_has_every_photo_once(trained, tmp_path):
    "Killed and resumed, the CSV has one row per photo, the same rows an uninterrupted run writes."
    import shutil
    from catdetect.core import sample_path
    from catdetect.modelfile import export_model
    model = export_model(trained, tmp_path/'pets')
    folder = tmp_path/'photos'; folder.mkdir()
    for f in sorted(sample_path().glob('*.jpg'))[:200]: shutil.copy(f, folder/f.name)
    got = run_worker(PREDICT_WORKER, model, folder, tmp_path/'out.csv', 8)
    assert got['ended'] < 8, f"no run was killed in the middle (an uninterrupted run took {got['calm']:.2f} s)"
    assert sorted(r['file'] for r in got['rows']) == sorted(str(folder/f.name) for f in folder.iterdir())   # each photo exactly once
    by_file = {r['file']: r for r in got['calm_rows']}   # as an uninterrupted run wrote them (a batch may pair photos differently: 1e-4)
    for r in got['rows']:
        c = by_file[r['file']]
        assert (r['label'], r['guess'], r['sure'], r['error']) == (c['label'], c['guess'], c['sure'], c['error']), (r, c)
        assert abs(float(r['prob']) - float(c['prob'])) < 1e-4 and abs(float(r['confidence']) - float(c['confidence'])) < 1e-4, (r, c)
    assert not {r['label'] for r in got['rows']} - {'cat', 'dog', 'not sure'}


CLEAN_WORKER = KILL_LOOP + """
from catdetect.clean import clean_images
from pathlib import Path
root, n, calm = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
ended = killed_runs(lambda: clean_images(root, max_size=120, progress=False), n, 0.05*calm, 0.9*calm)   # kills land in the work on any CPU
s = clean_images(root, max_size=120, progress=False)
print(json.dumps(dict(ended=ended, kept=s['kept'])))
"""


def test_clean_images_killed_at_random_moments_keeps_what_an_uninterrupted_run_keeps(tmp_path):
    "Killed and rerun, the folder keeps the photos a run never stopped keeps; every photo set aside is there, with its row."
    import shutil
    from catdetect.testing import fake_photo
    from catdetect.manifest import Manifest
    from catdetect.clean import clean_images
    def messy(root):
        for c in ('a', 'b'):
            (root/c).mkdir(parents=True)
            for k in range(40): fake_photo(k + 100*(c == 'b'), (600, 400)).save(root/c/f'{k}.png')   # converted and shrunk
        shutil.copy(root/'a'/'1.png', root/'a'/'copy.png'); (root/'b'/'page.jpg').write_bytes(b'<html>gone</html>')
        return root
    import time
    calm = messy(tmp_path/'calm'); t = time.monotonic(); ref = clean_images(calm, max_size=120, progress=False); t = time.monotonic() - t
    got = run_worker(CLEAN_WORKER, messy(tmp_path/'killed'), 10, t)
    assert got['ended'] < 10, "no run was killed in the middle"
    def kept(root): return sorted(p.relative_to(root).as_posix() for p in root.rglob('*.jpg') if '.removed' not in p.parts and not p.name.startswith('.'))
    assert kept(tmp_path/'killed') == kept(calm) and got['kept'] == ref['kept'] == 80
    root = tmp_path/'killed'
    m = Manifest(root/'manifest.csv')
    assert {r['file'] for r in m if r['status'] == 'ok'} == set(kept(root))
    aside = [p for p in (root/'.removed').rglob('*') if p.is_file()]
    assert [p.name for p in aside if m.row_of(p) is None] == []               # no file without a row
    calm_m = Manifest(calm/'manifest.csv')
    assert [p.name for p in (calm/'.removed').rglob('*') if p.is_file() and calm_m.row_of(p) is None] == []   # nor in the calm run
    assert {p.stem for p in aside} >= {f'{k}' for k in range(40)} | {'copy', 'page'}   # every original is still there
    assert not [p for p in root.rglob('.*') if p.is_file() and not p.name.endswith('.lock')]   # nothing half-written left


CLEAN_RACE_WORKER = """
import sys, json
from catdetect.clean import clean_images
s = clean_images(sys.argv[1], max_size=120, progress=False)
print(json.dumps(dict(kept=s['kept'])))
"""


def test_two_processes_cleaning_one_folder_move_each_photo_once(tmp_path):
    "A notebook and the CLI cleaning one folder at once: the second waits for the first; the folder ends as one run leaves it."
    from catdetect.testing import fake_photo
    from catdetect.manifest import Manifest
    from catdetect.clean import clean_images
    def messy(root):
        for c in ('a', 'b'):
            (root/c).mkdir(parents=True)
            for k in range(30): fake_photo(k + 100*(c == 'b'), (600, 400)).save(root/c/f'{k}.png')
        return root
    calm = messy(tmp_path/'calm'); clean_images(calm, max_size=120, progress=False)
    root = messy(tmp_path/'raced')
    procs = [subprocess.Popen([sys.executable, '-c', CLEAN_RACE_WORKER, str(root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (o, e) in zip(procs, outs): assert p.returncode == 0, e[-3000:]
    def files(r): return sorted(p.relative_to(r).as_posix() for p in r.rglob('*') if p.is_file() and not p.name.endswith('.lock'))
    assert files(root) == files(calm)                                                  # no photo moved twice, none lost
    assert sorted(json.loads(o.strip().splitlines()[-1])['kept'] for o, _ in outs) == [60, 60]
    m = Manifest(root/'manifest.csv')
    assert sorted((r['file'], r['status']) for r in m) == sorted((r['file'], r['status']) for r in Manifest(calm/'manifest.csv'))
