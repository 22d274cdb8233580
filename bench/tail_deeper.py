#!/usr/bin/env python
"""The default with deeper last stages: `train_classifier(dls)` as `bench/tasks.py`'s `default` runs it, with the
body's last stages starting earlier (`tail_split`'s `share`, 0.5 in the package) and `epochs` at most.

    python bench/tail_deeper.py [--data ../shared/data] [--set tasks/flowers102-39] [--share 0.85] [--epochs 4]
                                [--noise 0] [--bf16 0] [--train-seeds 42 1 2]

On EfficientNet-Lite0 a share of 0.5 gives the last two block stages and the head conv (what enters them: 112
channels at 16x16 for 256 px photos); 0.85 adds the stage before (447,000 more weights, 80 channels in). Each run is a
fresh process on `bench/tasks.py`'s split (seed 42), with the training seed given; it prints the held-out error, wall
time, peak memory and what the default chose. A measurement only: nothing here is a default.
"""
import argparse, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine
from train import isolated


def deeper_run(path, noise, bf16, share, epochs, train_seed):
    "`tasks.one_run`'s `default` with the last stages from `tail_split(share=share)` and at most `epochs` epochs of them."
    from functools import partial
    import catdetect.models as m, catdetect.train as tr
    assert m.tail_split.__defaults__ == (0.5,), 'tail_split changed: its only default was share=0.5'
    m.tail_split.__defaults__ = (share,)   # its callers imported it by name (the engines' tap, `tail_learner`): each takes the default
    tr.fine_tune_tail = partial(tr.fine_tune_tail, epochs=epochs)   # `train_classifier` calls it through the module's global
    from tasks import one_run
    return one_run(path, noise, 'default', bf16, 1, 42, train_seed)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--set', default='tasks/flowers102-39')
    p.add_argument('--share', type=float, default=0.85)
    p.add_argument('--epochs', type=int, default=4)
    p.add_argument('--noise', type=float, default=0.)
    p.add_argument('--bf16', type=int, default=0)
    p.add_argument('--train-seeds', nargs='+', type=int, default=[42, 1, 2])
    a = p.parse_args()
    print(machine())
    for s in a.train_seeds:
        r = isolated(deeper_run, str(Path(a.data)/a.set), a.noise, a.bf16, a.share, a.epochs, s)
        print(f"share {a.share}, {a.epochs} epochs at most, {a.noise:.0%} flipped, bf16={a.bf16}, training seed {s}: {r['error']:.2%} of {r['n_held']} held out, "
              f"{r['seconds']:.1f} s, {r['peak_mb']:,.0f} MB; {r['chose']}", flush=True)
