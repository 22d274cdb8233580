#!/usr/bin/env python
"""What the mirrored second view (`views=2`) buys the head as the number of training photos a class grows: held-out
error of `fit_head_fast` with one view and with two, on the same photos, the same process, clean and 20% flipped.

    python bench/views_few.py [--data ../shared/data] [--sets tasks/flowers102-39 tasks/chest-xray dev/catsdogs dev/bears]
                              [--per-class 10 20 36 60 120] [--noise 0 0.2]

Each set is split as `bench/tasks.py` splits it (20% held out, never loaded into the DataLoaders, scored against its
true labels); from the rest, the first N photos of each true class go to `folder_dls`'s split (20% validation). The
CPU path is the process's (`CATDETECT_BF16=0` for float32), printed on the first line.
"""
import time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from label_few import few_args, few_conditions


def errors(path, noise, per_class, views):
    "Held-out error, training photos and seconds of the head fitted with `views`."
    from catdetect.train import fit_head_fast
    from tasks import learner_for, held_error
    learn, c = learner_for(Path(path), noise, per_class=per_class)
    t0 = time.time()
    fit_head_fast(learn, views=views, seed=42, progress=False)
    return held_error(learn, c), len(learn.dls.train_ds), len(c['held']), time.time()-t0


if __name__ == '__main__':
    a = few_args(__doc__, ['tasks/flowers102-39', 'tasks/chest-xray', 'dev/catsdogs', 'dev/bears'], [10, 20, 36, 60, 120])
    print('| set | photos a class | labels | training photos | held-out error, 1 view | 2 views | seconds, 1 view / 2 views |')
    print('|---|---|---|---|---|---|---|')
    for s, path, k, noise, labels in few_conditions(a):
        (e1, n, h, t1), (e2, _, _, t2) = [errors(path, noise, k, v) for v in (1, 2)]
        print(f"| {s} | {k} | {labels} | {n} | {e1:.2%} of {h} | {e2:.2%} | {t1:.1f} / {t2:.1f} |", flush=True)
