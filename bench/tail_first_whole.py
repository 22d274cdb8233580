#!/usr/bin/env python
"""The default with its first epoch of the last stages on whole maps and the later ones on windows: `train_classifier(dls)`
as `bench/tasks.py`'s `default` runs it, but the window (`fine_tune_tail`'s `crop`) switched off for the first epoch,
the one that must beat the head (its gate is judged on whole maps).

    python bench/tail_first_whole.py [--data ../shared/data] [--set tasks/flowers102-39] [--noise 0.2]
                                     [--bf16 1] [--split-seeds 42] [--train-seeds 42]

Each run is a fresh process on `bench/tasks.py`'s split, with the split and training seeds given; it prints the
held-out error, wall time, peak memory and what the default chose. Since bb4bb3b the default does this itself
(`catdetect.train._WholeFirst`), and the script runs it as it is: adding the callback again would record the first
epoch's whole maps as the window to go back to, and train on whole maps throughout.
"""
import argparse, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine
from train import isolated


def first_whole_run(path, noise, bf16, split_seed, train_seed):
    "`tasks.one_run`'s `default` with the first epoch of the last stages on whole maps."
    import catdetect.train as tr
    from fastai.callback.core import Callback
    from tasks import one_run
    if hasattr(tr, '_WholeFirst'): return one_run(path, noise, 'default', bf16, 1, split_seed, train_seed)   # the default's own rule

    class FirstWhole(Callback):
        "Before each epoch, the training batches' window: none in the first, `crop` as given after."
        def before_epoch(self):
            for f in self.learn.dls.train.after_batch.fs:
                if isinstance(f, tr._TapBatch):
                    f.given = getattr(f, 'given', f.crop)
                    f.crop = 1. if self.epoch == 0 else f.given

    real = tr.fit_cycles
    tr.fit_cycles = lambda learn, n_epoch, lr_max=None, cbs=None, **kw: real(learn, n_epoch, lr_max, cbs=[*(cbs or []), FirstWhole()], **kw)   # `_fit_kept` calls it through the module's global
    return one_run(path, noise, 'default', bf16, 1, split_seed, train_seed)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--set', default='tasks/flowers102-39')
    p.add_argument('--noise', type=float, default=0.2)
    p.add_argument('--bf16', type=int, default=1)
    p.add_argument('--split-seeds', nargs='+', type=int, default=[42])
    p.add_argument('--train-seeds', nargs='+', type=int, default=[42])
    a = p.parse_args()
    from catdetect.models import bf16_ok
    print(f"{machine()}; bfloat16 path: {'yes' if a.bf16 and bf16_ok() else 'no (float32 only)'}")
    print("| set | labels | split | training seed | held-out error | wall time | peak memory | chose |\n|---|---|---|---|---|---|---|---|")
    for split in a.split_seeds:
        for ts in a.train_seeds:
            r = isolated(first_whole_run, str(Path(a.data)/a.set), a.noise, a.bf16, split, ts)
            print(f"| {a.set} | {'clean' if not a.noise else f'{a.noise:.0%} flipped'} | {split} | {ts} | {r['error']:.2%} of {r['n_held']} | "
                  f"{r['seconds']:.1f} s | {r['peak_mb']:,.0f} MB | {r['chose']} |", flush=True)
