#!/usr/bin/env python
"""Could the validation photos choose between one view and two (`views=2`: the training photos also mirrored)? Per
condition, the head `fit_head_fast` keeps with one view and with two (each with its own penalty and label search,
`label_issues='auto'`), and the two-view head fitted on the one-view search's flags and penalty instead: the error on
photos held out from everything, and the mean loss on the validation photos that neither kept head flags, with the
paired z of one view's losses minus two views' (as `beats` computes it: above 0, two views look better).

    python bench/views_choice.py [--data ../shared/data] [--sets tasks/flowers102-39 dev/bears] [--noise 0 0.2] [--seeds 42]

Each set is split as `bench/tasks.py` splits it (`--seeds` draws other splits and flips); the rest goes to
`folder_dls`'s split. The CPU path is the process's (`CATDETECT_BF16=0` for float32), printed on the first line.
"""
import argparse, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine


def compare(path, noise, seed):
    "Per head ('1 view', '2 views', '2 views, 1 view's flags'): held-out error, mode, penalty, validation outputs and flagged validation photos."
    import torch
    from catdetect.data import item_labels
    from catdetect.engines import body_features
    from catdetect.models import head_split
    import catdetect.train as tr
    from tasks import learner_for
    learn, c = learner_for(path, noise, seed)
    dls, vocab, items = learn.dls, list(learn.dls.vocab), learn.dls.train_ds.items
    X, Xv, _ = tr._features(learn, 2, False)   # rows: every photo's first view, then every photo's mirror image
    yt, yv = item_labels(dls.train_ds), item_labels(dls.valid_ds)
    Xh = body_features(learn, c['held'], bf16=False, progress=False)
    yh = torch.tensor([c['classes'].index(t) for t in c['truth']])
    _, head = head_split(learn.model)
    def kept(views):   # the head fit_head_fast keeps with `views`, and its tries
        Xs = X if views == 2 else X[:len(yt)]
        tries = tr._label_tries(Xs, yt, items, vocab, 'auto', views, None, 42, True)
        return tr._choose_labels([tr._try_head(learn, Xs, Xv, yt, yv, m, iss, cv, views, None) for m,iss,cv in tries], yv, dls.valid_ds.items)[0], tries
    (one, tries), (two, _) = kept(1), kept(2)
    m, iss, cv = next(t for t in tries if t[0] == one['mode'])
    res = {'1 view': one, '2 views': two, "2 views, 1 view's flags": tr._try_head(learn, X, Xv, yt, yv, m, iss, cv, 2, None)}
    for fit in res.values():
        head.load_state_dict(fit['weights']); head.eval()
        with torch.no_grad(): fit['held'] = float((head(Xh).float().argmax(1) != yh).float().mean())
        fit['flag'] = {str(r['item']) for r in fit['issues'] if r['split'] == 'valid'}
    return res, yv, dls.valid_ds.items


if __name__ == '__main__':
    import torch, torch.nn.functional as F
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--sets', nargs='+', default=['tasks/flowers102-39', 'dev/bears'])
    p.add_argument('--noise', nargs='+', type=float, default=[0.0, 0.2])
    p.add_argument('--seeds', nargs='+', type=int, default=[42])
    a = p.parse_args()
    from catdetect.models import bf16_ok
    print(f"{machine()}; bfloat16 path: {'yes' if bf16_ok() else 'no (float32 only)'}")
    print("| set | labels | seed | 1 view: held-out error (labels, penalty) | 2 views | 2 views, 1 view's flags and penalty | unflagged validation photos: loss 1 view / 2 views | 1 view - 2 views, z |")
    print('|---' * 8 + '|')
    for seed in a.seeds:
        for s in a.sets:
            for noise in a.noise:
                r, yv, valid = compare(str(Path(a.data)/s), noise, seed)
                one, two = r['1 view'], r['2 views']
                keep = torch.tensor([str(it) not in one['flag'] | two['flag'] for it in valid])
                l1, l2 = [F.cross_entropy(f['out'].float()[keep], yv[keep], reduction='none') for f in (one, two)]
                d = l1 - l2
                cell = lambda f: f"{f['held']:.2%} ({f['mode']}, {f['wd']:g})"
                print(f"| {s} | {'clean' if not noise else f'{noise:.0%} flipped'} | {seed} | {' | '.join(cell(f) for f in r.values())} | "
                      f"{int(keep.sum())}: {float(l1.mean()):.4f} / {float(l2.mean()):.4f} | {float(d.mean()):+.4f}, {float(d.mean()/(d.std()/len(d)**0.5)):.2f} |", flush=True)
