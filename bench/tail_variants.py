#!/usr/bin/env python
"""Variants of `fine_tune_tail` from the same fitted head: per epoch, the validation loss it judges by, the error on
photos held out from everything (20%, as `bench/tasks.py` splits), and the seconds the epoch took.

    python bench/tail_variants.py [--data ../shared/data] [--sets tasks/flowers102-39 tasks/chest-xray dev/catsdogs dev/bears]
                                  [--noise 0 0.2] [--variants bf16 fp32 half small grad grad2 e6 lr3] [--split-seed 42]

Each set is split as `bench/tasks.py` splits it. Variants (4 epochs of fastai's one-cycle schedule, no early stopping):
`bf16` is what `fine_tune_tail` trains; `fp32` the same in float32; `half` its first epoch on activations pooled to
half resolution; `small` only the last block stage and the head conv; `grad` one epoch of `small`, then 3 of the last
stages; `grad2` one epoch of the head conv alone, then 3 of the last stages; `e6` 6 epochs; `lr3` the last stages at
3e-5; `lr4` the last stages and the head at 1e-4 (`epochs=N`'s rate); `lr4s` the last stages at 1e-5, the head at
1e-4; `htrial` one annealed epoch on activations pooled to half resolution, `third` (`third16` on bfloat16) one on a
third of the training photos drawn at random (`sixth`: a sixth): cheap trials. `cyc32`, `aug` and `mix`: 4 epochs (`cyc6`: 6), each a
one-cycle schedule of its own (as `fine_tune_tail` trains them), on the centred view, on one augmented view of each
photo (`augmented_taps`), or on either of the two drawn at random per photo and epoch; `ls` as `cyc32` on label-smoothed
cross-entropy (eps 0.1), `wd1` with weight decay 0.1, `dp1` and `dp2` with stochastic depth (0.1, 0.2) in the last
stages' residual blocks, `flip` with half of each batch's stored activations mirrored left-right, `mx` with fastai's `MixUp` (alpha 0.4) on the stored activations, `wise` as `cyc32`, then its weights interpolated with the starting ones (WiSE-FT) at 0.25, 0.5 and 0.75 of the way, `ens` as `cyc32`, then the held-out photos scored by the mean of its probabilities and the head's, `refit` as `cyc32`, then the head fitted again by logistic regression on the trained last stages' features at each penalty (`refit5`: its cross-validation offered 1e-5 and 3e-5 too; `refitp`: then label issues searched again on those features and the head fitted without them). Where fewer stages train,
what enters them is computed once from the stored activations by the stages before, frozen (the seconds are the epochs' alone). Each validation figure is
the mean loss and the expected error (the mean of 1 - the probability given to each photo's label: bounded, so a wrong
label costs at most 1 where its loss grows without bound). `--split-seed` draws another held-out split and flips, as
`bench/tasks.py --split-seeds`; a variant named twice runs twice (another draw of the shuffling).
"""
import argparse, copy, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine

VARIANTS = dict(
    bf16=dict(),                                  # what fine_tune_tail does on the bfloat16 path
    fp32=dict(bf16=False),                        # the same in float32
    half=dict(bf16=False, half=1),                # the first epoch on activations pooled to half resolution
    small=dict(bf16=False, small=1),              # only the body's last block stage and head conv
    grad=dict(small=1, then=3),                   # one epoch of the small tail, then 3 of the whole tail (gradual unfreezing)
    grad2=dict(small=2, then=3),                  # one epoch of the head conv alone, then 3 of the whole tail
    e6=dict(bf16=False, epochs=6),
    lr3=dict(bf16=False, lr=slice(3e-5, 1e-3)),
    e2=dict(epochs=2),                            # 2 epochs of one cycle: annealed at the end of the second
    cyc=dict(cycles=4),                           # each epoch a one-cycle schedule of its own: annealed at the end of every epoch
    cyc32=dict(bf16=False, cycles=4),             # the same in float32
    cyc6=dict(bf16=False, cycles=6),              # the same for 6 epochs: do the 5th and 6th still gain?
    lr4=dict(bf16=False, lr=1e-4),                # one rate for the last stages and the head, `epochs=N`'s 1e-4
    lr4s=dict(bf16=False, lr=slice(1e-5, 1e-4)),  # the last stages at 1e-5, the head at 1e-4
    htrial=dict(bf16=False, half=1, cycles=1),    # one annealed epoch on activations pooled to half resolution (a quarter of the work): a cheap trial
    third=dict(bf16=False, cycles=1, share=1/3),  # one annealed epoch on a third of the training photos, drawn at random (a third of the work): a cheap trial
    third16=dict(cycles=1, share=1/3),            # the same on the bfloat16 path
    sixth=dict(bf16=False, cycles=1, share=1/6),  # one annealed epoch on a sixth of the training photos: a cheaper trial
    aug=dict(bf16=False, cycles=4, views='aug'),  # `fine_tune_tail`'s epochs (float32, 4 cycles) on one augmented view of each photo (`augmented_taps`)
    mix=dict(bf16=False, cycles=4, views='mix'),  # the same on the centred and the augmented view, one of the two drawn at random per photo and epoch
    ls=dict(bf16=False, cycles=4, smooth=0.1),    # `cyc32` trained on label-smoothed cross-entropy (fastai's `LabelSmoothingCrossEntropyFlat`, eps 0.1); judged on plain cross-entropy
    wd1=dict(bf16=False, cycles=4, wd=0.1),       # `cyc32` with ten times fastai's weight decay (0.1)
    dp1=dict(bf16=False, cycles=4, drop_path=0.1),  # `cyc32` with stochastic depth in the last stages' residual blocks (timm's `DropPath`, 0.1 each)
    dp2=dict(bf16=False, cycles=4, drop_path=0.2),  # the same at 0.2
    flip=dict(bf16=False, cycles=4, flip=True),   # `cyc32` with half of each training batch's stored activations mirrored left-right (a feature-space flip)
    mx=dict(bf16=False, cycles=4, mixup=0.4),     # `cyc32` with mixup of the stored activations (fastai's `MixUp`, alpha 0.4: manifold mixup at the last stages' input)
    wise=dict(bf16=False, cycles=4, wise=(0.25, 0.5, 0.75)),  # `cyc32`, then its weights interpolated with the starting ones (WiSE-FT, Wortsman et al. 2022) at each share
    ens=dict(bf16=False, cycles=4, ens=True),     # `cyc32`, then the held-out photos scored by the mean of its probabilities and the head's (two passes through the last stages at prediction)
    refit=dict(bf16=False, cycles=4, refit='product'),  # `cyc32`, then the head fitted again by logistic regression (as `refit_head`) on the trained last stages' features, at each penalty; cross-validation over `refit_grid`
    refit5=dict(bf16=False, cycles=4, refit='1e-5'),     # the same, cross-validation over 1e-5, 3e-5 and `refit_grid`
    refitp=dict(bf16=False, cycles=4, refit='product', prune=True),  # `refit`, then label issues searched again on its features and the head fitted without them
)


class Either:
    "Rows `(x, y)` of two aligned row lists: each time a row is read, one of the two views, drawn at random."
    def __init__(self, a, b): self.a, self.b = a, b
    def __len__(self): return len(self.a)
    def __getitem__(self, i):
        import torch
        return (self.a if torch.rand(()) < 0.5 else self.b)[i]


def run(path, noise, names, seed=None, split_seed=42):
    import torch, torch.nn.functional as F
    from fastai.vision.all import Callback, params, nn, set_seed, LabelSmoothingCrossEntropyFlat, MixUp
    from catdetect.engines import body_features
    from catdetect.models import tail_split, head_split
    import catdetect.train as tr
    from tasks import head_with_taps
    learn, c = head_with_taps(path, noise, split_seed)
    dls = learn.dls
    acts, vacts = learn.taps[:2]
    hacts = body_features(learn, c['held'], bf16=False, tap=torch.float32, progress=False)[1]
    yh = torch.tensor([list(map(str, dls.vocab)).index(t) for t in c['truth']])
    state, out = copy.deepcopy(learn.model.state_dict()), {}
    late = tail_split(learn.model)[1]

    def means(l):   # the mean loss and the expected error (`expected_error`) of per-photo losses `l`
        return float(l.mean()), float(tr.expected_error(l).mean())

    def held_probs(net, h):
        net.eval()
        with torch.no_grad(): return torch.cat([net(h[i:i+64].float()) for i in range(0, len(h), 64)]).softmax(1)

    def held_err(net, h): return float((held_probs(net, h).argmax(1) != yh).float().mean())

    class Track(Callback):
        order = 60
        def __init__(s, net, h, half, flip=False): s.net, s.h, s.half, s.flip, s.rows = net, h, half, flip, []
        def before_fit(s): s.t = time.time()
        def before_validate(s): s.losses = []
        def after_batch(s):
            if s.training: return
            s.losses.append(F.cross_entropy(s.pred.float(), s.yb[0], reduction='none').detach())   # plain cross-entropy, whatever the variant trains on
        def before_batch(s):
            if s.training and s.epoch < s.half: s.learn.xb = (F.avg_pool2d(s.xb[0], 2),)
            if s.training and s.flip:   # half of the batch mirrored left-right, drawn per batch
                x = s.xb[0].clone(); m = torch.rand(len(x)) < 0.5; x[m] = x[m].flip(-1); s.learn.xb = (x,)
        def after_epoch(s):
            sec = time.time() - s.t
            l = torch.cat(s.losses)
            s.rows.append((means(l), held_err(s.net, s.h), sec, l))
            s.t = time.time()

    for name in names:
        v = VARIANTS[name]
        learn.model.load_state_dict(state)
        if seed is not None: set_seed(seed)   # before the tail's DataLoaders: they draw their own generator from it
        a, va, h = acts, vacts, hacts
        if v.get('small'):   # activations entering the last block stage: the stage before it run once, frozen
            first = nn.Sequential(*list(late)[:v['small']]).eval()
            with torch.no_grad():
                run1 = lambda t: torch.cat([first(t[i:i+64].float()) for i in range(0, len(t), 64)])
                a, va, h = run1(acts).bfloat16(), run1(vacts), run1(hacts)
        tl = tr.tail_learner(learn, tr.tap_dls(learn, a, va, 32))
        if v.get('views'):   # one new augmented view of each training photo, drawn after the seed
            aug = tr.tap_dls(learn, tr.augmented_taps(learn, progress=False), va, 32).train
            tl.dls.train = aug if v['views'] == 'aug' else aug.new(dataset=Either(tl.dls.train.dataset, aug.dataset))
        if v.get('share'): tl.dls.train = tr.train_share(tl.dls.train, v['share'])   # a random share of the training photos
        if v.get('small'): tl.model = nn.Sequential(nn.Sequential(*list(late)[v['small']:]), learn.model[1]); tl.splitter = lambda m: [params(m[0]), params(m[1])]
        with tl.no_bar(): start_l = tl.get_preds(with_loss=True)[2].float()
        start = means(start_l)
        h0 = held_err(tl.model, h)
        if v.get('smooth'): tl.loss_func = LabelSmoothingCrossEntropyFlat(eps=v['smooth'])
        if v.get('wd'): tl.wd = v['wd']
        paths = [m for m in tl.model.modules() if v.get('drop_path') and getattr(m, 'has_skip', False) and hasattr(m, 'drop_path')]
        saved = [m.drop_path for m in paths]   # what the blocks had (`nn.Identity`: no stochastic depth), put back after training
        if paths:
            from timm.layers import DropPath
            for m in paths: m.drop_path = DropPath(v['drop_path'])
        tk = Track(tl.model, h, v.get('half', 0), v.get('flip', False))
        s0 = copy.deepcopy(tl.model.state_dict())   # the starting weights (`wise` interpolates towards them)
        with tl.no_bar(), tl.no_logging():
            tl.unfreeze()
            for _ in range(v.get('cycles', 1)):
                tl.fit_one_cycle(1 if v.get('then') or v.get('cycles') else v.get('epochs', 4), v.get('lr', slice(1e-5, 1e-3)), cbs=[tr.CPUMixedPrecision(v.get('bf16')), tk] + ([MixUp(v['mixup'])] if v.get('mixup') else []))
        if v.get('then'):
            tl = tr.tail_learner(learn, tr.tap_dls(learn, acts, vacts, 32))
            tk2 = Track(tl.model, hacts, 0)
            with tl.no_bar(), tl.no_logging():
                tl.unfreeze(); tl.fit_one_cycle(v['then'], v.get('lr', slice(1e-5, 1e-3)), cbs=[tr.CPUMixedPrecision(v.get('bf16')), tk2])
            tk.rows += tk2.rows
        for m, d in zip(paths, saved): m.drop_path = d   # as the model is saved
        extra = []   # rows after the epochs: `wise`'s interpolations, `ens`'s averaged probabilities
        if v.get('wise'):   # (1-share) of the starting weights plus share of the trained ones: validation loss / expected error, held-out error
            s1 = copy.deepcopy(tl.model.state_dict())
            for w in v['wise']:
                tl.model.load_state_dict({k: (1-w)*s0[k] + w*t if t.is_floating_point() else t for k, t in s1.items()})
                with tl.no_bar(): wl = tl.get_preds(with_loss=True)[2].float()
                extra.append((w, means(wl), held_err(tl.model, h)))
            tl.model.load_state_dict(s1)
        if v.get('ens'):   # the mean of the trained and the starting weights' probabilities, as `extra` rows (validation: its loss / expected error)
            vx, vy = torch.stack([x for x, _ in tl.dls.valid.dataset]), torch.tensor([int(y) for _, y in tl.dls.valid.dataset])
            s1 = copy.deepcopy(tl.model.state_dict()); p1, vp1 = held_probs(tl.model, h), held_probs(tl.model, vx)
            tl.model.load_state_dict(s0); p0, vp0 = held_probs(tl.model, h), held_probs(tl.model, vx); tl.model.load_state_dict(s1)
            extra.append(('mean', means(F.nll_loss(((vp0+vp1)/2).log(), vy, reduction='none')), float((((p0+p1)/2).argmax(1) != yh).float().mean())))
        if v.get('refit'):   # the head fitted again on what the trained last stages give the training photos (`tail_features`, `fit_linear_head`): validation loss / expected error, held-out error, per penalty
            rows, head = tl.dls.train.dataset, head_split(tl.model)[1]
            X, y = tr.tail_features(tl, [x for x, _ in rows]), torch.tensor([int(t) for _, t in rows])
            vx, vy = torch.stack([x for x, _ in tl.dls.valid.dataset]), torch.tensor([int(t) for _, t in tl.dls.valid.dataset])
            Xv, Xh = tr.tail_features(tl, vx), tr.tail_features(tl, h)
            def fitted(keep, wd):   # the head fitted on the rows `keep` at `wd`, written into the model (reloaded before the next variant): validation losses, errors, held-out error
                tr.fit_linear_head(learn, X[keep], y[keep], wd=wd); head.eval()
                with torch.no_grad(): lv, lh = head(Xv), head(Xh)
                return F.cross_entropy(lv, vy, reduction='none'), int((lv.argmax(1) != vy).sum()), float((lh.argmax(1) != yh).float().mean())
            t_cv = time.time(); cv = tr.cv_penalty(X, y, torch.arange(len(y)), len(dls.vocab), grid=tr.refit_grid if v['refit'] == 'product' else (1e-5, 3e-5) + tr.refit_grid); t_cv = time.time() - t_cv
            with torch.no_grad(): pv = torch.cat([tl.model.eval()(vx[i:i+64].float()) for i in range(0, len(vx), 64)])
            extra.append((f'refit: trained head (cross-validation {t_cv:.1f} s), valid errors ' + str(int((pv.argmax(1) != vy).sum())), means(F.cross_entropy(pv, vy, reduction='none')), held_err(tl.model, h)))
            everyone = torch.ones(len(y), dtype=torch.bool)
            for wd in (1e-5, 3e-5) + tr.refit_grid[:5]:
                vl, ve, he = fitted(everyone, wd)
                extra.append((f'refit wd {wd:g}' + (' (cv)' if wd == cv['wd'] else '') + f", valid errors {ve}", means(vl), he))
            if v.get('prune'):   # label issues searched again on the refit's features (confident learning, up to 4 rounds at the picked penalty), then the head fitted without them
                iss, _ = tr.prune_label_issues(X, y, list(map(str, dls.vocab)), list(range(len(y))), wd=cv['wd'])
                keep = everyone.clone(); keep[[r['item'] for r in iss]] = False
                vl, ve, he = fitted(keep, cv['wd'])
                extra.append((f"refit without the {len(iss)} photos flagged again, valid errors {ve}", means(vl), he))
        best, kept = start_l, 0   # the epochs `KeepBest` keeps: each must beat the best before it (`beats`, z=2)
        for r in tk.rows:
            if not tr.beats(r[3], best): break
            best, kept = r[3], kept+1
        out[name if name not in out else f'{name}.{len(out)}'] = (start, h0, [r[:3] for r in tk.rows], kept, extra)   # a variant named twice: two draws
    return out


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--sets', nargs='+', default=['tasks/flowers102-39', 'tasks/chest-xray', 'dev/catsdogs', 'dev/bears'])
    p.add_argument('--noise', nargs='+', type=float, default=[0.0, 0.2])
    p.add_argument('--variants', nargs='+', default=list(VARIANTS))
    p.add_argument('--seeds', nargs='+', type=int, default=[None], help='seeds of the tail epochs\' shuffling (the head is fitted once, seed 42)')
    p.add_argument('--split-seed', type=int, default=42, help='the held-out split and the flips (`bench/tasks.py --split-seeds`)')
    a = p.parse_args()
    from catdetect.models import bf16_ok
    print(f"{machine()}; bfloat16 path: {'yes' if bf16_ok() else 'no (float32 only)'}")
    print("| set | labels | seed | variant | head: valid loss / expected error, held-out error | per epoch: valid loss / expected error, held-out error, seconds | early stopping keeps: epochs, held-out error |\n|---|---|---|---|---|---|---|")
    for s in a.sets:
        for noise in a.noise:
            for seed in a.seeds:
                for name, (start, h0, rows, kept, extra) in run(str(Path(a.data)/s), noise, a.variants, seed, a.split_seed).items():
                    print(f"| {s} | {'clean' if not noise else f'{noise:.0%} flipped'} | {seed} | {name} | {start[0]:.3f} / {start[1]:.4f}, {h0:.2%} | "
                          + '; '.join(f'{l[0]:.3f} / {l[1]:.4f}, {e:.2%}, {t:.1f}s' for l, e, t in rows) + f" | {kept}, {(rows[kept-1][1] if kept else h0):.2%} |", flush=True)
                    for w, l, e in extra: print(f"| {s} | | {seed} | {name} {f'at {w:.2f} of the way' if isinstance(w, float) else w if str(w).startswith('refit') else 'probabilities averaged with the head'} | | {l[0]:.3f} / {l[1]:.4f}, {e:.2%} | |", flush=True)
