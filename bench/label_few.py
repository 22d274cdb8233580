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


def few_args(doc, sets, per_class):
    "The command line of the per-class benchmarks (`--data --sets --per-class --noise`), after printing which CPU path runs."
    p = argparse.ArgumentParser(description=doc.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--sets', nargs='+', default=sets)
    p.add_argument('--per-class', nargs='+', type=int, default=per_class)
    p.add_argument('--noise', nargs='+', type=float, default=[0.0, 0.2])
    a = p.parse_args()
    from catdetect.models import bf16_ok
    print(f"{machine()}; bfloat16 path: {'yes' if bf16_ok() else 'no (float32 only)'}")
    return a


def few_conditions(a):
    "(set, path, photos a class, noise, label of the noise) for each condition `few_args` asks for, in table order."
    for s in a.sets:
        for k in a.per_class:
            for noise in a.noise: yield s, str(Path(a.data)/s), k, noise, 'clean' if not noise else f'{noise:.0%} flipped'


if __name__ == '__main__':
    a = few_args(__doc__, ['tasks/flowers102-39'], [5, 10, 20, 36])
    print('| set | photos a class | labels | training photos | flipped | flagged | flagged and flipped |')
    print('|---|---|---|---|---|---|---|')
    for s, path, k, noise, labels in few_conditions(a):
        n, fl, fg, both = flags(path, noise, k)
        print(f"| {s} | {k} | {labels} | {n} | {fl} | {fg} ({fg/n:.0%}) | {both} |", flush=True)
