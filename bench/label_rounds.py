#!/usr/bin/env python
"""What to do with the photos that look mislabelled, for the head: train on them (`label_issues='report'`), leave out
what one round of confident learning flags, repeat the search on what is left (`'drop'`: rounds until one flags fewer
than 0.5% of the photos it looked at, 4 at most), or then put back those the head is sure of, as the class it sees
(`'mend'`, the default). The head's error on the held-out photos, what was flagged against the labels that were
really flipped, how many were put back (and how many of those as their true class), the penalty chosen and the
seconds the search took.

    python bench/label_rounds.py [--data ../shared/data] [--sets tasks/flowers102-39 tasks/chest-xray dev/catsdogs dev/bears]
                                 [--noise 0 0.2] [--sure 0.5 0.8 0.9] [--repeats 1 5] [--filters prune_by_noise_rate] [--seed 42]

`--sure` adds a row of 'mend' for each least probability given (the default's is `catdetect.train.sure`); `--repeats`
one for each number of cross-validation fold assignments whose out-of-fold probabilities are averaged (the default's
is `catdetect.train.cv_repeats`); `--filters` one for each of cleanlab's rules given (the default's is
`catdetect.labels.label_filter`). `--seed` draws another split and other flips (42: `bench/tasks.py`'s).

Each set is split as `bench/tasks.py` splits it (20% held out with their true labels, never used here but to score);
the rest goes to `folder_dls`'s split, and only its training photos are searched and fitted on. The features are
computed once per condition, as `fit_head_fast` computes them; every variant fits the same features.
"""
import argparse, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine


def variants(path, noise, also=(), seed=42, repeats=(), filters=()):
    "One row per variant: the held-out error, flagged photos, how many of them were flipped, rounds, penalty, seconds."
    import torch
    from fastai.vision.all import parent_label
    from catdetect.data import item_labels
    from catdetect.engines import body_features
    from catdetect.models import head_split
    import catdetect.train as tr, catdetect.labels as lb
    from tasks import learner_for
    learn, c = learner_for(path, noise, seed)
    dls = learn.dls
    X, _, _ = tr._features(learn, 1, False)
    Xh = body_features(learn, c['held'], bf16=False, progress=False)
    yt, yh, items = item_labels(dls.train_ds), torch.tensor([c['classes'].index(t) for t in c['truth']]), dls.train_ds.items
    flipped = {str(f) for f in items if c['given'][f] != parent_label(f)}
    _, head = head_split(learn.model)
    rows = []
    def run(name, mode, rounds, sure=tr.sure, k=tr.cv_repeats, rule=lb.label_filter): return name, mode, rounds, sure, k, rule
    runs = [run('report', 'report', 1), run('drop, 1 round', 'drop', 1), run('drop', 'drop', 4), run('mend (default)', 'mend', 4)]
    runs += [run(f'mend, sure {p:g}', 'mend', 4, sure=p) for p in also] + [run(f"mend, {k} fold assignment{'s'*(k > 1)}", 'mend', 4, k=k) for k in repeats]
    runs += [run(f'mend, {rule}', 'mend', 4, rule=rule) for rule in filters]
    default_rule = lb.label_filter
    for name, mode, rounds, sure, k, rule in runs:
        t = time.time()
        lb.label_filter = rule   # what `find_label_issues` uses when not told
        try: issues, cv = tr.prune_label_issues(X, yt, list(dls.vocab), items, seed=42, rounds=rounds, repeats=k)
        finally: lb.label_filter = default_rule
        seconds = time.time() - t
        issues, _ = tr._fit_head(learn, X, yt, issues, items, list(dls.vocab), mode, 1, cv['wd'], sure)   # as `fit_head_fast` fits it
        back = [r for r in issues if r.get('trained_as') is not None]
        head.eval()
        with torch.no_grad(): err = float((head(Xh).argmax(1) != yh).float().mean())
        rows.append(dict(variant=name, error=err, n_held=len(yh), flagged=len(issues), hits=sum(str(r['item']) in flipped for r in issues),
                         flipped=len(flipped), rounds=cv['rounds'], wd=cv['wd'], seconds=seconds, back=len(back),
                         right=sum(r['trained_as'] == parent_label(r['item']) for r in back)))
    return rows


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--sets', nargs='+', default=['tasks/flowers102-39', 'tasks/chest-xray', 'dev/catsdogs', 'dev/bears'])
    p.add_argument('--noise', nargs='+', type=float, default=[0.0, 0.2])
    p.add_argument('--sure', nargs='*', type=float, default=[])
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--repeats', nargs='*', type=int, default=[])
    p.add_argument('--filters', nargs='*', default=[], help="cleanlab's rules (filter_by) to add a 'mend' row for")
    a = p.parse_args()
    from catdetect.models import bf16_ok
    print(f"{machine()}; bfloat16 path: {'yes' if bf16_ok() else 'no (float32 only)'}; split and flips drawn with seed {a.seed}")
    print("| set | training labels | head trained | held-out error | flagged (really flipped) | put back (as their true class) | rounds | penalty | search time |\n|---|---|---|---|---|---|---|---|---|")
    for s in a.sets:
        for noise in a.noise:
            for r in variants(str(Path(a.data)/s), noise, a.sure, a.seed, a.repeats, a.filters):
                print(f"| {s} | {'clean' if not noise else f'{noise:.0%} flipped'} | {r['variant']} | {r['error']:.2%} of {r['n_held']} | "
                      f"{r['flagged']} ({r['hits']} of {r['flipped']}) | {r['back']} ({r['right']}) | {r['rounds']} | {r['wd']:g} | {r['seconds']:.1f} s |", flush=True)
