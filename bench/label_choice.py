#!/usr/bin/env python
"""Could the validation photos choose, per data set, between training the head on every photo (`label_issues='report'`)
and `'mend'`? (`label_issues='auto'`, the default, now chooses by it.) For each, the error on photos held out from
everything, the validation loss and error on all validation photos, and the mean loss on the validation photos that
neither head flags; then the paired difference of those losses (report minus mend: above 0, mend is better) and its z
(as `beats` computes it).

    python bench/label_choice.py [--data ../shared/data] [--sets tasks/flowers102-39 dev/bears] [--noise 0 0.2] [--seeds 42 1 2]
                             [--per-class N]

Each set is split as `bench/tasks.py` splits it (`--seeds` draws other splits and flips); the rest goes to
`folder_dls`'s split, whose training photos are searched and fitted on, as `fit_head_fast` does.
"""
import argparse, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine


def compare(path, noise, seed, per_class=None):
    "Per mode ('report', 'mend'): held-out error, validation loss and error, the unflagged photos' losses."
    import torch, torch.nn.functional as F
    from catdetect.data import item_labels
    from catdetect.engines import body_features
    from catdetect.models import head_split
    import catdetect.train as tr
    from tasks import learner_for
    learn, c = learner_for(path, noise, seed, per_class=per_class)
    dls, vocab = learn.dls, list(learn.dls.vocab)
    X, Xv, _ = tr._features(learn, 1, False)
    Xh = body_features(learn, c['held'], bf16=False, progress=False)
    yt, yv, items = item_labels(dls.train_ds), item_labels(dls.valid_ds), dls.train_ds.items
    yh = torch.tensor([c['classes'].index(t) for t in c['truth']])
    _, head = head_split(learn.model)
    res = {}
    for mode, issues, cv in tr._label_tries(X, yt, items, vocab, 'auto', 1, None, 42, True):   # the heads 'auto' chooses between
        fit = tr._try_head(learn, X, Xv, yt, yv, mode, issues, cv, 1, None)
        head.load_state_dict(fit['weights']); head.eval()
        with torch.no_grad(): held = head(Xh).float()
        flag = {str(r['item']) for r in fit['issues'] if r['split'] == 'valid'}
        res[mode] = dict(out=fit['out'].float(), held=float((held.argmax(1) != yh).float().mean()), flag=flag)
    res.setdefault('report', res['mend'])   # nothing flagged: the two heads are one
    keep = torch.tensor([str(it) not in res['report']['flag'] | res['mend']['flag'] for it in dls.valid_ds.items])
    for r in res.values():
        r['loss'] = F.cross_entropy(r['out'], yv, reduction='none')
        r['err'] = float((r['out'].argmax(1) != yv).float().mean())
        r['kept'] = r['loss'][keep]
    return res


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--sets', nargs='+', default=['tasks/flowers102-39', 'dev/bears'])
    p.add_argument('--noise', nargs='+', type=float, default=[0.0, 0.2])
    p.add_argument('--seeds', nargs='+', type=int, default=[42, 1, 2])
    p.add_argument('--per-class', type=int, default=None, help='only the first N photos of each class (as bench/label_few.py takes them)')
    a = p.parse_args()
    from catdetect.models import bf16_ok
    print(f"{machine()}; bfloat16 path: {'yes' if bf16_ok() else 'no (float32 only)'}")
    print("| set | labels | seed | report: held-out error, valid loss, valid error, unflagged loss | mend: the same | unflagged photos | report - mend, z |")
    print('|---' * 7 + '|')
    for seed in a.seeds:
        for s in a.sets:
            for noise in a.noise:
                r = compare(str(Path(a.data)/s), noise, seed, a.per_class)
                d = r['report']['kept'] - r['mend']['kept']
                cell = lambda m: f"{m['held']:.2%}, {float(m['loss'].mean()):.3f}, {m['err']:.2%}, {float(m['kept'].mean()):.4f}"
                print(f"| {s} | {'clean' if not noise else f'{noise:.0%} flipped'} | {seed} | {cell(r['report'])} | {cell(r['mend'])} | "
                      f"{len(d)} | {float(d.mean()):+.4f}, {float(d.mean()/(d.std()/len(d)**0.5)):.2f} |", flush=True)
