#!/usr/bin/env python
"""The head fitted again after the last stages are trained, as the frozen phase fitted it or on the photos they trained
on alone: `train_classifier(dls)` as `bench/tasks.py`'s `default` runs it, with its refit
- `rows`: `refit_head` on the training photos not flagged as mislabelled (the default before `refit_labels`);
- `mode`: the flagged photos treated as the frozen phase's labels mode treats them (with 'mend': the head fitted
  without them, then those it is at least 95% sure of put back as the class it sees, `_fit_head`), on every training
  photo's features from the trained last stages, the penalty cross-validated on the photos not flagged;
- `search`: the same, after the label issues are looked for again on those features (`prune_label_issues` over
  `wd_grid`, the frozen phase's labels mode kept);
- `labels`: `refit_labels`, the default since this measurement: `fit_head_fast`'s own steps on those features (the
  label issues looked for again, 'auto' choosing 'report' or 'mend' again on the validation photos), over `refit_grid`;
- `union`: the same, but the 'mend' head also leaves out (or mends) the photos the frozen phase flagged that the new
  search no longer flags: the last stages trained on every other photo, whose labels their features have learned.
  Not adopted: over the 14 conditions of `refit_labels`' tables (splits 42, 1 and 2, seeds 42 and 1, clean and
  flipped, both paths), 342 photos wrong of 6,216 against its 328 (flipped 209 against 190).
The last stages never train on a flagged photo, so what they make of one is an honest guess, as the frozen body's was.

    python bench/refit_mend.py [--data ../shared/data] [--set tasks/flowers102-39] [--noise 0 0.2]
                               [--refits labels rows] [--bf16 1 0] [--split-seeds 42] [--train-seeds 42]

Each run is a fresh process on `bench/tasks.py`'s split; it prints the held-out error, wall time, peak memory, what
the default chose and how many flagged photos the refit put back; the last line, photos wrong and seconds summed.
"""
import warnings
warnings.filterwarnings('ignore')
from machine import machine
from variants import compare, parser


def mend_run(path, noise, refit, bf16, split_seed, train_seed):
    "`tasks.one_run`'s `default`, its head fitted again after the last stages as `refit` says."
    import torch
    import catdetect.train as tr
    from catdetect.data import item_labels
    from tasks import one_run
    back = {}
    def frozen_issues(learn): return [{k: v for k,v in r.items() if k != 'trained_as'} for r in learn.label_issues if r['split'] == 'train']   # the frozen phase's training photos flagged
    if refit in ('rows', 'mode', 'search'): tr.refit_labels = lambda learn, tl, acts, vacts, near=None: tr.refit_head(learn, tl, near=near)   # `_choose_fine_tuning` looks it up at each call
    if refit in ('mode', 'search'):
        real_tap = tr.tap_dls
        def tap_dls(learn, acts, *args, **kwargs): learn._acts = acts; return real_tap(learn, acts, *args, **kwargs)   # every training photo's
        def refit_head(learn, tl, grid=tr.refit_grid, seed=0, near=None):
            ds,vocab = learn.dls.train_ds,list(learn.dls.vocab)
            yt,skip = item_labels(ds),tr.flagged(learn)
            keep = torch.tensor([i not in skip for i in range(len(yt))])   # the rows the last stages trained on
            if len(yt[keep].unique()) < learn.dls.c: return None
            X = tr.tail_features(tl, learn._acts)   # every training photo's, flagged or not, once
            cv = tr.cv_penalty(X[keep], yt[keep], torch.arange(int(keep.sum())), learn.dls.c, grid=grid, seed=seed, near=near)
            issues = frozen_issues(learn)
            if refit == 'search':   # the label issues looked for again, on what the trained last stages give every training photo
                back['old'] = len(issues)
                issues,_ = tr.prune_label_issues(X, yt, vocab, ds.items, 1, None, seed, **(dict(rounds=1) if learn.fast_fit[0]['labels'] == 'report' else {}))
                back['new'] = len(issues)
            mode = learn.fast_fit[0]['labels']
            got,_ = tr._fit_head(learn, X, yt, issues, ds.items, vocab, mode, 1, cv['wd'])
            back['n'] = sum(r.get('trained_as') not in (None, r['given']) for r in got)
            back['was'] = sum(r.get('trained_as') not in (None, r['given']) for r in learn.label_issues if r['split'] == 'train')
            back['mode'] = mode
            return cv
        tr.tap_dls,tr.refit_head = tap_dls,refit_head
    if refit == 'union':
        real_tries,real_refit,old = tr._label_tries,tr.refit_labels,{}
        def _label_tries(*args, **kwargs):   # `_fit_labels` looks it up at each call
            tries = real_tries(*args, **kwargs)
            if 'issues' not in old: return tries
            def more(iss):
                have = {str(r['item']) for r in iss}
                add = [r for r in old['issues'] if str(r['item']) not in have]
                back['added'] = len(add)
                return iss + add
            return [(m, more(iss) if m == 'mend' else iss, cv) for m,iss,cv in tries]
        def refit_labels(learn, tl, acts, vacts, near=None):
            old['issues'] = frozen_issues(learn)
            try: return real_refit(learn, tl, acts, vacts, near=near)
            finally: old.pop('issues')
        tr._label_tries,tr.refit_labels = _label_tries,refit_labels
    r = one_run(path, noise, 'default', bf16, 1, split_seed, train_seed)
    if 'added' in back: r['chose'] += f"; {back['added']} photos the frozen phase flagged added to the 'mend' head's"
    if 'mode' in back: r['chose'] += f"; refit {back['mode']}: {back['n']} put back (the frozen phase: {back['was']})" + (f"; {back['new']} flagged again (the frozen phase: {back['old']})" if 'new' in back else '')
    return r


if __name__ == '__main__':
    a = parser(__doc__, 'refits', ['labels', 'rows']).parse_args()
    print(f"{machine()}; the head fitted again after the last stages: {', '.join(a.refits)}")
    compare(mend_run, a, a.refits, 'refit')
