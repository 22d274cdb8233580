#!/usr/bin/env python
"""How many training photos the label check flags when each class has only a few, with clean labels (every flag is
false) and with 20% flipped (how many flags are right, and how many flips they find).

    python bench/label_few.py [--data ../shared/data] [--sets tasks/flowers102-39] [--per-class 5 10 20 36] [--noise 0 0.2]

Each set is split as `bench/tasks.py` splits it (20% held out, never loaded here; 20% of the flips drawn there); from
the rest, the first N photos of each true class go to `folder_dls`'s split (20% validation), and the head is fitted
by `fit_head_fast(label_issues='report')`: the first round of confident learning, what the user is told.
"""
import argparse, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine


def flags(path, noise, per_class):
    "Training photos, flipped ones among them, photos flagged, and flagged ones that were flipped."
    from fastai.vision.all import parent_label
    from catdetect.train import fit_head_fast
    from tasks import learner_for
    learn, c = learner_for(Path(path), noise, per_class=per_class)
    fit_head_fast(learn, label_issues='report', seed=42, progress=False)
    train = list(learn.dls.train_ds.items)
    flipped = {f for f in train if c['given'][f] != parent_label(f)}
    flagged = {Path(r['item']) for r in learn.label_issues if r['split'] == 'train'}
    return len(train), len(flipped), len(flagged), len(flagged & flipped)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--sets', nargs='+', default=['tasks/flowers102-39'])
    p.add_argument('--per-class', nargs='+', type=int, default=[5, 10, 20, 36])
    p.add_argument('--noise', nargs='+', type=float, default=[0.0, 0.2])
    a = p.parse_args()
    from catdetect.models import bf16_ok
    print(f"{machine()}; bfloat16 path: {'yes' if bf16_ok() else 'no (float32 only)'}")
    print('| set | photos a class | labels | training photos | flipped | flagged | flagged and flipped |')
    print('|---|---|---|---|---|---|---|')
    for s in a.sets:
        for k in a.per_class:
            for noise in a.noise:
                n, fl, fg, both = flags(str(Path(a.data)/s), noise, k)
                print(f"| {s} | {k} | {'clean' if not noise else f'{noise:.0%} flipped'} | {n} | {fl} | {fg} ({fg/n:.0%}) | {both} |", flush=True)
