#!/usr/bin/env python
"""The default's cross-validations, each walked from a penalty already known (`cv_penalty`'s `near`) and over the whole
grid, on the same features, in one process: which penalty each chose, their losses and times.

    python bench/cv_walk.py [--data ../shared/data] [--set tasks/flowers102-39] [--noise 0 0.2] [--bf16 0] [--split-seed 42] [--train-seed 42]

Runs `bench/tasks.py`'s `default` (fresh process per condition), recording every `cv_penalty` call the run makes
(`prune_label_issues`' rounds, `refit_head`); each call given `near` is then fitted again over its whole grid. Prints
the held-out error and wall time of the run, and per call: rows, penalty chosen by the walk and by the whole grid,
the largest difference of their losses at the penalties the walk fitted, and both times.
"""
import argparse, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine
from train import isolated


def walked_run(path, noise, bf16, split_seed, train_seed):
    "`tasks.one_run`'s `default` with every `cv_penalty` call recorded, and each walked one compared with the whole grid."
    import catdetect.train as tr
    from tasks import one_run
    calls, orig = [], tr.cv_penalty
    def recorded(X, y, groups, n_classes, **kw):
        t = time.time(); r = orig(X, y, groups, n_classes, **kw)
        calls.append(dict(args=(X, y, groups, n_classes), kw=kw, got=r, seconds=time.time()-t)); return r
    tr.cv_penalty = recorded
    run = one_run(path, noise, 'default', bf16, 1, split_seed, train_seed)
    rows = []
    for c in calls:
        near = c['kw'].get('near')
        if near is None: rows.append(f"{len(c['args'][1])} rows, whole grid: {c['got']['wd']:g} in {c['seconds']:.1f} s"); continue
        t = time.time(); full = orig(*c['args'], **dict(c['kw'], near=None)); secs = time.time()-t
        diff = max(abs(l - full['losses'][w]) for w, l in c['got']['losses'].items())
        rows.append(f"{len(c['args'][1])} rows, from {near:g}: {c['got']['wd']:g} ({len(c['got']['losses'])} fits) in {c['seconds']:.1f} s; "
                    f"whole grid {full['wd']:g} ({len(full['losses'])} fits) in {secs:.1f} s; losses differ by {diff:.4f} at most")
    return dict(run, rows=rows)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--set', default='tasks/flowers102-39')
    p.add_argument('--noise', nargs='+', type=float, default=[0.0, 0.2])
    p.add_argument('--bf16', type=int, default=0)
    p.add_argument('--split-seed', type=int, default=42)
    p.add_argument('--train-seed', type=int, default=42)
    a = p.parse_args()
    print(machine())
    for noise in a.noise:
        r = isolated(walked_run, str(Path(a.data)/a.set), noise, a.bf16, a.split_seed, a.train_seed)
        print(f"{a.set}, {'clean' if not noise else f'{noise:.0%} flipped'}, {'bfloat16' if a.bf16 else 'float32'}: {r['error']:.2%} of {r['n_held']} held out, "
              f"{r['seconds']:.1f} s; {r['chose']}", flush=True)
        for row in r['rows']: print('  ' + row, flush=True)
