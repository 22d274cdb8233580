#!/usr/bin/env python
"""The last stages' epochs from one fitted head, several draws of their shuffling: after each epoch, the error on the
photos held out from everything and the validation photos' expected error, for the epoch's weights and for the
weights averaged over the epochs so far (as stochastic weight averaging does; BatchNorm is frozen, so nothing to refit).

    python bench/tail_average.py [--data ../shared/data] [--set tasks/flowers102-39] [--noise 0] [--seeds 1 2 3 4]

The set is split as `bench/tasks.py` splits it (seed 42), the head fitted by `fit_head_fast` as `train_classifier` fits
it; then, for each seed, 4 epochs of `fit_cycles` (a one-cycle schedule each, the last stages at 1e-5 and the head at
1e-3, as `fine_tune_tail` trains them) with no early stopping. Run with `CATDETECT_BF16=0` for the float32 path.
"""
import argparse, copy, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine


def run(path, noise, seeds, epochs=4):
    import torch, torch.nn.functional as F
    from torch.optim.swa_utils import AveragedModel
    from fastai.vision.all import Callback, set_seed
    from catdetect.engines import body_features
    import catdetect.train as tr
    from tasks import head_with_taps
    learn, c = head_with_taps(path, noise)
    acts, vacts = learn.taps[:2]
    hacts = body_features(learn, c['held'], bf16=False, tap=torch.float32, progress=False)[1]
    yh = torch.tensor([list(map(str, learn.dls.vocab)).index(t) for t in c['truth']])
    state = copy.deepcopy(learn.model.state_dict())

    def scores(net, va, yv):   # held-out error, validation expected error (not `_scores`: its `get_preds` inside the fit would draw from the random generator and shift the epochs' shuffles)
        net.eval()
        with torch.no_grad():
            p = torch.cat([net(hacts[i:i+64].float()) for i in range(0, len(hacts), 64)])
            q = torch.cat([net(va[i:i+64].float()) for i in range(0, len(va), 64)])
        return float((p.argmax(1) != yh).float().mean()), float(tr.expected_error(F.cross_entropy(q, yv, reduction='none')).mean())

    class Average(Callback):   # torch's `AveragedModel` over the epochs; parameters only: `tail_learner` freezes BatchNorm, so its buffers never move
        order = 70
        def __init__(s, va, yv): s.va, s.yv, s.rows = va, yv, []
        def before_fit(s): s.avg = AveragedModel(s.model)
        def after_epoch(s):
            s.avg.update_parameters(s.model)
            s.rows.append((scores(s.model, s.va, s.yv), scores(s.avg.module, s.va, s.yv))); s.model.train()

    for seed in seeds:
        learn.model.load_state_dict(state)
        set_seed(seed)   # before the tail's DataLoaders: they draw their own generator from it
        tl = tr.tail_learner(learn, tr.tap_dls(learn, acts, vacts, 32))
        va = torch.stack([r[0] for r in tl.dls.valid.dataset]).float(); yv = torch.tensor([r[1] for r in tl.dls.valid.dataset])
        if seed == seeds[0]: print(f"the head: held-out error, validation expected error {scores(tl.model, va, yv)}", flush=True)
        cb, t = Average(va, yv), time.time()
        with tl.no_bar(), tl.no_logging():
            tl.unfreeze(); tr.fit_cycles(tl, epochs, slice(1e-5, 1e-3), cbs=[cb])
        print(f"seed {seed} ({time.time()-t:.0f} s): " + ' | '.join(f'epoch {i+1}: {e[0]:.2%} ({e[1]:.4f}), averaged {a[0]:.2%} ({a[1]:.4f})'
                                                             for i, (e, a) in enumerate(cb.rows)), flush=True)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--set', default='tasks/flowers102-39')
    p.add_argument('--noise', type=float, default=0.0)
    p.add_argument('--seeds', nargs='+', type=int, default=[1, 2, 3, 4])
    a = p.parse_args()
    from catdetect.models import bf16_ok
    print(f"{machine()}; bfloat16 path: {'yes' if bf16_ok() else 'no (float32 only)'}")
    run(str(Path(a.data)/a.set), a.noise, a.seeds)
