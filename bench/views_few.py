#!/usr/bin/env python
"""What the mirrored second view (`views=2`) buys the head as the number of training photos a class grows: held-out
error of `fit_head_fast` with one view and with two, on the same photos, the same process, clean and 20% flipped.

    python bench/views_few.py [--data ../shared/data] [--sets tasks/flowers102-39 tasks/chest-xray dev/catsdogs dev/bears]
                              [--per-class 10 20 36 60 120] [--noise 0 0.2]

Each set is split as `bench/tasks.py` splits it (20% held out, never loaded into the DataLoaders, scored against its
true labels); from the rest, the first N photos of each true class go to `folder_dls`'s split (20% validation). The
CPU path is the process's (`CATDETECT_BF16=0` for float32), printed on the first line.
"""
import argparse, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine


def errors(path, noise, per_class, views):
    "Held-out error, training photos and seconds of the head fitted with `views`."
    from catdetect.train import fit_head_fast
    from tasks import learner_for, held_error
    learn, c = learner_for(Path(path), noise, per_class=per_class)
    t0 = time.time()
    fit_head_fast(learn, views=views, seed=42, progress=False)
    return held_error(learn, c), len(learn.dls.train_ds), len(c['held']), time.time()-t0


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--sets', nargs='+', default=['tasks/flowers102-39', 'tasks/chest-xray', 'dev/catsdogs', 'dev/bears'])
    p.add_argument('--per-class', nargs='+', type=int, default=[10, 20, 36, 60, 120])
    p.add_argument('--noise', nargs='+', type=float, default=[0.0, 0.2])
    a = p.parse_args()
    from catdetect.models import bf16_ok
    print(f"{machine()}; bfloat16 path: {'yes' if bf16_ok() else 'no (float32 only)'}")
    print('| set | photos a class | labels | training photos | held-out error, 1 view | 2 views | seconds, 1 view / 2 views |')
    print('|---|---|---|---|---|---|---|')
    for s in a.sets:
        for k in a.per_class:
            for noise in a.noise:
                (e1, n, h, t1), (e2, _, _, t2) = [errors(str(Path(a.data)/s), noise, k, v) for v in (1, 2)]
                print(f"| {s} | {k} | {'clean' if not noise else f'{noise:.0%} flipped'} | {n} | {e1:.2%} of {h} | {e2:.2%} | {t1:.1f} / {t2:.1f} |", flush=True)
