#!/usr/bin/env python
"""The last stages' epochs trained with a loss that wrong labels sway less: `train_classifier(dls)` as
`bench/tasks.py`'s `default` runs it, its epochs (not the trial, which decides) trained by cross-entropy (as
before), by label-smoothed cross-entropy (fastai's `LabelSmoothingCrossEntropyFlat`, `smooth<eps>`), or by the
mean cross-entropy of each batch's photos but its `q` largest share (`trim<q>`: the small-loss trick of
co-teaching, Han et al. 2018: a photo whose label the network can't fit yet is left out of that step). Every
judgement (`KeepBest`, the scores) stays plain cross-entropy, and the head is fitted again by logistic regression
after, so only what the last stages learn changes.

    python bench/tail_loss.py [--data ../shared/data] [--set tasks/flowers102-39] [--noise 0 0.2]
                              [--losses ce smooth0.1 trim0.1] [--bf16 1 0] [--split-seeds 42] [--train-seeds 42]

Each run is a fresh process on `bench/tasks.py`'s split; it prints the held-out error, wall time, peak memory and
what the default chose; the last line, each loss's photos wrong and seconds summed over the runs.
"""
import warnings
warnings.filterwarnings('ignore')
from machine import machine
from variants import compare, parser


def tail_loss(name):
    "The loss `name` names, as fastai calls a loss: its mean for training, plain cross-entropy per photo where `reduction` is 'none' (`loss_not_reduced`: what every judgement reads)."
    import torch, torch.nn.functional as F
    from fastai.losses import LabelSmoothingCrossEntropyFlat
    class Loss:
        reduction = 'mean'
        def __init__(self): self.smooth = LabelSmoothingCrossEntropyFlat(float(name[6:])) if name.startswith('smooth') else None
        def __call__(self, out, y):
            ce = F.cross_entropy(out.float(), y, reduction='none')
            if self.reduction == 'none' or name == 'ce': return ce if self.reduction == 'none' else ce.mean()
            if self.smooth is not None: return self.smooth(out.float(), y)
            q = float(name[4:]); return ce.sort().values[:max(1, round((1-q)*len(ce)))].mean()   # the batch's smallest losses
        def activation(self, x): return F.softmax(x, dim=-1)
        def decodes(self, x): return x.argmax(dim=-1)
    return Loss()


def loss_run(path, noise, loss, bf16, split_seed, train_seed):
    "`tasks.one_run`'s `default`, the last stages' epochs trained by `loss`."
    import catdetect.train as tr
    from tasks import one_run
    real = tr._fit_kept
    def fit_kept(tl, *args, **kwargs):   # `fine_tune_tail` looks it up in the module at each call
        was,tl.loss_func = tl.loss_func,tail_loss(loss)
        try: return real(tl, *args, **kwargs)
        finally: tl.loss_func = was
    tr._fit_kept = fit_kept
    return one_run(path, noise, 'default', bf16, 1, split_seed, train_seed)


if __name__ == '__main__':
    a = parser(__doc__, 'losses', ['ce', 'smooth0.1', 'trim0.1']).parse_args()
    print(f"{machine()}; the last stages' epochs trained by {', '.join(a.losses)}")
    compare(loss_run, a, a.losses, 'loss')
