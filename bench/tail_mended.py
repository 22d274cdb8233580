#!/usr/bin/env python
"""The last stages fine-tuned with or without the flagged photos the head was put back on as another class (`mended`):
`train_classifier(dls)` as `bench/tasks.py`'s `default` runs it, with `tap_dls(..., mend=True)` or `mend=False` (every
flagged photo left out: the default, kept after this measurement; see the train notebook).

    python bench/tail_mended.py [--data ../shared/data] [--set tasks/flowers102-39] [--noise 0.2] [--mend 1 0]
                                [--bf16 1 0] [--split-seeds 42] [--train-seeds 42]

Each run is a fresh process on `bench/tasks.py`'s split, with the split and training seeds given; it prints the
held-out error, wall time, peak memory and what the default chose; the last line, each rule's photos wrong summed
over the runs.
"""
import argparse, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine
from train import isolated


def mend_run(path, noise, mend, bf16, split_seed, train_seed):
    "`tasks.one_run`'s `default` with `tap_dls`' `mend` as given."
    from functools import partial
    import catdetect.train as tr
    from tasks import one_run
    tr.tap_dls = partial(tr.tap_dls, mend=bool(mend))   # `fine_tune_tail` looks it up in the module at each call
    return one_run(path, noise, 'default', bf16, 1, split_seed, train_seed)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--set', default='tasks/flowers102-39')
    p.add_argument('--noise', nargs='+', type=float, default=[0.2])
    p.add_argument('--mend', nargs='+', type=int, default=[1, 0])
    p.add_argument('--bf16', nargs='+', type=int, default=[1, 0])
    p.add_argument('--split-seeds', nargs='+', type=int, default=[42])
    p.add_argument('--train-seeds', nargs='+', type=int, default=[42])
    a = p.parse_args()
    print(machine())
    print("| labels | split | training seed | path | mended photos | held-out error | wall time | peak memory | chose |\n|---|---|---|---|---|---|---|---|---|")
    wrong = {m: 0 for m in a.mend}
    for noise in a.noise:
        for split in a.split_seeds:
            for ts in a.train_seeds:
                for bf16 in a.bf16:
                    for m in a.mend:
                        r = isolated(mend_run, str(Path(a.data)/a.set), noise, m, bf16, split, ts)
                        wrong[m] += round(r['error']*r['n_held'])
                        print(f"| {'clean' if not noise else f'{noise:.0%} flipped'} | {split} | {ts} | {'bfloat16' if bf16 else 'float32'} | {'trained on' if m else 'left out'} | "
                              f"{r['error']:.2%} of {r['n_held']} | {r['seconds']:.1f} s | {r['peak_mb']:,.0f} MB | {r['chose']} |", flush=True)
    print('photos wrong, summed: ' + ', '.join(f"{'trained on' if m else 'left out'} {w}" for m, w in wrong.items()))
