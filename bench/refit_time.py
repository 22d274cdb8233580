#!/usr/bin/env python
"""How long `refit_head` takes against an epoch of the last stages, on the flowers (split 42, float32 path, from the
head `bench/tasks.py` fits): `python bench/refit_time.py [--data ../shared/data]`."""
import sys, time, os, argparse
from pathlib import Path
os.environ['CATDETECT_BF16'] = '0'
sys.path.insert(0, str(Path(__file__).resolve().parent))
p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
a = p.parse_args()
from tasks import head_with_taps
import catdetect.train as tr
learn, _ = head_with_taps(str(Path(a.data)/'tasks'/'flowers102-39'), 0., 42)
acts, vacts = learn.taps[:2]
tl = tr.tail_learner(learn, tr.tap_dls(learn, acts, vacts, 32))
t = time.time()
with tl.no_bar(), tl.no_logging(): tl.unfreeze(); tr.fit_cycles(tl, 1, slice(1e-5, 1e-3))
ep = time.time() - t
rows = tl.dls.train.dataset
t = time.time(); tr.tail_features(tl, [x for x, _ in rows]); fw = time.time() - t
t = time.time(); cv = tr.refit_head(learn, tl); total = time.time() - t
from machine import machine
print(machine())
print(f"{len(rows)} training photos: one epoch {ep:.1f} s; tail_features {fw:.1f} s; refit_head (features, cross-validation over {len(tr.refit_grid)} penalties, fit) {total:.1f} s; wd {cv['wd']:g}")
