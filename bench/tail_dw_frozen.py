#!/usr/bin/env python
"""The last stages fine-tuned with or without their depthwise convolutions' weights: `train_classifier(dls)` as
`bench/tasks.py`'s `default` runs it, with the depthwise kernels (`catdetect.train.depthwise_kernels`) left as
ImageNet trained them or trained as the rest, in the epochs (`tail_depthwise`; frozen by default since this
measurement) and, with `--in-trial 1`, in the trial epoch too. Their weight gradients are an eighth of a training
step's time held to AVX2 (profiled: 24 of 206 ms a batch of 32 windows on the flowers), for 4% of the weights
(113,568 of 2.67 million on EfficientNet-Lite0).

    python bench/tail_dw_frozen.py [--data ../shared/data] [--set tasks/flowers102-39] [--noise 0 0.2] [--frozen 1 0]
                                   [--in-trial 0] [--bf16 1 0] [--split-seeds 42] [--train-seeds 42]

Each run is a fresh process on `bench/tasks.py`'s split, with the split and training seeds given; it prints the
held-out error, wall time, peak memory and what the default chose; the last line, each rule's photos wrong and
seconds summed over the runs. The train notebook's table was measured with `--in-trial 1`.
"""
import argparse, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine
from train import isolated


def dw_run(path, noise, frozen, in_trial, bf16, split_seed, train_seed):
    "`tasks.one_run`'s `default` with the last stages' depthwise kernels frozen in the epochs where `frozen`, and in the trial too where `in_trial`."
    from contextlib import contextmanager
    import catdetect.train as tr
    from tasks import one_run
    tr.tail_depthwise = not frozen   # `_fit_kept` reads it at each call
    if frozen and in_trial:
        real = tr._unfrozen
        @contextmanager
        def unfrozen_but_dw(tl, progress, depthwise=True):   # `trial_losses` and `_fit_kept` look it up in the module at each call
            with real(tl, progress, False) as t: yield t
        tr._unfrozen = unfrozen_but_dw
    return one_run(path, noise, 'default', bf16, 1, split_seed, train_seed)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--set', default='tasks/flowers102-39')
    p.add_argument('--noise', nargs='+', type=float, default=[0., 0.2])
    p.add_argument('--frozen', nargs='+', type=int, default=[1, 0])
    p.add_argument('--in-trial', type=int, default=0)
    p.add_argument('--bf16', nargs='+', type=int, default=[1, 0])
    p.add_argument('--split-seeds', nargs='+', type=int, default=[42])
    p.add_argument('--train-seeds', nargs='+', type=int, default=[42])
    a = p.parse_args()
    print(f"{machine()}; depthwise kernels frozen in {'the trial and ' if a.in_trial else ''}the epochs")
    print("| labels | split | training seed | path | depthwise kernels | held-out error | wall time | peak memory | chose |\n|---|---|---|---|---|---|---|---|---|")
    wrong,secs = {f: 0 for f in a.frozen},{f: 0. for f in a.frozen}
    for noise in a.noise:
        for split in a.split_seeds:
            for ts in a.train_seeds:
                for bf16 in a.bf16:
                    for f in a.frozen:
                        r = isolated(dw_run, str(Path(a.data)/a.set), noise, f, a.in_trial, bf16, split, ts)
                        wrong[f] += round(r['error']*r['n_held']); secs[f] += r['seconds']
                        print(f"| {'clean' if not noise else f'{noise:.0%} flipped'} | {split} | {ts} | {'bfloat16' if bf16 else 'float32'} | {'frozen' if f else 'trained'} | "
                              f"{r['error']:.2%} of {r['n_held']} | {r['seconds']:.1f} s | {r['peak_mb']:,.0f} MB | {r['chose']} |", flush=True)
    print('summed: ' + ', '.join(f"{'frozen' if f else 'trained'} {wrong[f]} photos wrong in {secs[f]:.0f} s" for f in a.frozen))
