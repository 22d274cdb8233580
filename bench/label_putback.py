#!/usr/bin/env python
"""The photos 'mend' leaves out, given back to the head: where the default (`label_issues='mend'`) leaves a flagged photo
out of the head's training, these variants train on it after all. 'own label at p >= q': as its given label, where the
head that never saw the flagged photos gives that label at least q (a wrong label drawn from many classes gets near 0,
a right but unusual photo more); 'own label at p >= 1/classes' sets q by the number of classes (0.026 for 39, 0.5 for
two). 'soft': with the class probabilities of that head as its target, weight w. 'half own
label': half those probabilities, half its given label. 'oracle' puts back just the left-out photos whose label is
right (it reads the true labels, so no method could): what finding the right photos among them is worth. The head's error on the held-out photos, how many photos each
variant trains on, and how many of those with a wrong label (soft targets: whose most probable class is not the true one).

    python bench/label_putback.py [--data ../shared/data] [--sets tasks/flowers102-39 tasks/chest-xray dev/catsdogs dev/bears]
                                  [--noise 0 0.2] [--seeds 42 1 2] [--back 0.02 0.05 0.1]

Each set is split as `bench/tasks.py` splits it (`--seeds`: its `--split-seeds`, the split and the flips); only the
training photos of `folder_dls`'s split are searched and fitted on, as `fit_head_fast` does (one view, its features
once per condition, the last round's penalty). Head only: no fine-tuning.
"""
import argparse, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine


def soft_fit(X, T, w, wd, Xh):
    "Logits on `Xh` of an L2-regularised logistic regression fitted, as `fit_linear_head` fits it, on features `X` with target distributions `T` (rows) weighted `w`."
    import torch
    import catdetect.train as tr
    Xn, mu, var = tr.standardize(X)
    Z, Q = tr.row_space(Xn)
    W = torch.zeros(T.shape[1], Z.shape[1]+1, requires_grad=True)
    opt = torch.optim.LBFGS([W], max_iter=300, line_search_fn='strong_wolfe', tolerance_grad=1e-6)
    def closure():
        opt.zero_grad()
        loss = (-((Z@W[:, :-1].T + W[:, -1]).log_softmax(-1)*T).sum(-1)*w).sum()/w.sum() + wd*W[:, :-1].pow(2).sum()
        loss.backward(); return loss
    with torch.enable_grad(): opt.step(closure)
    W = W.detach()
    return ((Xh-mu)/torch.sqrt(var+1e-5))@(W[:, :-1] if Q is None else W[:, :-1]@Q.T).T + W[:, -1]


def variants(path, noise, seed, back):
    "One row per variant: held-out photos wrong, photos trained on, how many of them with a wrong label."
    import torch, torch.nn.functional as F
    from fastai.vision.all import parent_label
    from catdetect.data import item_labels
    from catdetect.engines import body_features
    import catdetect.train as tr
    from tasks import learner_for
    learn, c = learner_for(path, noise, seed)
    dls = learn.dls
    vocab, X = list(dls.vocab), tr._features(learn, 1, False)[0]
    Xh = body_features(learn, c['held'], bf16=False, progress=False)
    yt, yh, items = item_labels(dls.train_ds), torch.tensor([c['classes'].index(t) for t in c['truth']]), dls.train_ds.items
    truth, C = torch.tensor([vocab.index(parent_label(f)) for f in items]), len(vocab)
    issues, cv = tr.prune_label_issues(X, yt, vocab, items, seed=42)
    wd = cv['wd']
    rows1, y1 = tr._train_rows(yt, issues, items, vocab, 'mend', 1)   # the head `_fit_head` fits first, without every flagged photo
    tr.fit_linear_head(learn, X[rows1], y1[rows1], wd=wd)
    P1 = tr._head_probs(learn, X, 1)
    got, _ = tr._fit_head(learn, X, yt, issues, items, vocab, 'mend', 1, wd)   # the default, as `fit_head_fast` fits it
    rows, y = tr._train_rows(yt, got, items, vocab, 'mend', 1)
    out, T, ones = ~rows, F.one_hot(y, C).float(), torch.ones(len(yt))
    def row(name, keep, T, w):
        wrong = int((soft_fit(X[keep], T[keep], w[keep], wd, Xh).argmax(1) != yh).sum())
        return dict(variant=name, wrong=wrong, n_held=len(yh), photos=int(keep.sum()), mislabelled=int((T[keep].argmax(1) != truth[keep]).sum()), left=int(out.sum()))
    rows_ = [row("mend (default)", rows, T, ones)]
    for q in back:
        k = rows | (out & (P1[torch.arange(len(yt)), yt] >= q))
        rows_.append(row(f"mend, own label at p >= {q:g}", k, T, ones))
    rows_.append(row("mend, own label at p >= 1/classes", rows | (out & (P1[torch.arange(len(yt)), yt] >= 1/C)), T, ones))
    rows_.append(row("oracle: mend, and the left-out photos whose label is right", rows | (out & (yt == truth)), T, ones))
    every = torch.ones(len(yt), dtype=torch.bool)
    for name, mix, wt in (('mend, soft, w 1', 1., 1.), ('mend, soft, w 0.5', 1., .5), ('mend, half own label', .5, 1.)):
        T2, w = T.clone(), ones.clone()
        T2[out], w[out] = mix*P1[out] + (1-mix)*F.one_hot(yt[out], C).float(), wt
        rows_.append(row(name, every, T2, w))
    return rows_


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--sets', nargs='+', default=['tasks/flowers102-39', 'tasks/chest-xray', 'dev/catsdogs', 'dev/bears'])
    p.add_argument('--noise', nargs='+', type=float, default=[0.0, 0.2])
    p.add_argument('--seeds', nargs='+', type=int, default=[42, 1, 2])
    p.add_argument('--back', nargs='*', type=float, default=[0.02, 0.05, 0.1])
    a = p.parse_args()
    from catdetect.models import bf16_ok
    print(f"{machine()}; bfloat16 path: {'yes' if bf16_ok() else 'no (float32 only)'}")
    print("| set | split | training labels | head trained | held-out wrong | photos trained on (wrong label) | left out by 'mend' |\n|---|---|---|---|---|---|---|")
    totals = {}
    for s in a.sets:
        for seed in a.seeds:
            for noise in a.noise:
                for r in variants(str(Path(a.data)/s), noise, seed, a.back):
                    totals[r['variant']] = totals.get(r['variant'], 0) + r['wrong']
                    print(f"| {s} | {seed} | {'clean' if not noise else f'{noise:.0%} flipped'} | {r['variant']} | {r['wrong']} of {r['n_held']} | "
                          f"{r['photos']} ({r['mislabelled']}) | {r['left']} |", flush=True)
    print("\nHeld-out photos wrong, all rows: " + "; ".join(f"{k} {v}" for k, v in totals.items()))
