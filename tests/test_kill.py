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
from catdetect.export import export_model, read_spec, load_weights
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
