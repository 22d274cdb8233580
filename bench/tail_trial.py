#!/usr/bin/env python
"""What `fine_tune_tail`'s trial epoch (the head conv and the head alone) does to the validation loss it judges by,
from the same fitted head: the mean loss of the validation photos not flagged, before and after, the paired test's
z (`beats`) and the seconds.

    python bench/tail_trial.py [--data ../shared/data] [--sets tasks/chest-xray dev/catsdogs dev/bears tasks/flowers102-39]
                               [--noise 0 0.2]

Each set is split as `bench/tasks.py` splits it (20% held out, never loaded here); the rest goes to `folder_dls`'s
split (20% validation). The trial's outcome is printed whatever it is (nothing is kept or rejected here).
"""
import argparse, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine


def trial(path, noise):
    "The trial's mean validation loss before and after, the paired z, photos, seconds."
    import torch
    from catdetect.models import tail_split, after_stages
    import catdetect.train as tr
    from tasks import head_with_taps
    learn, _ = head_with_taps(path, noise)
    _, probes = learn.taps
    pl = tr.tail_learner(learn, tr.tap_dls(learn, *probes, 32), after_stages(tail_split(learn.model)[1]))
    with pl.no_bar(): start = pl.get_preds(with_loss=True)[2].as_subclass(torch.Tensor).float()
    t = time.time()
    keep = tr._fit_kept(pl, 1, slice(1e-5, 1e-3), start, -1e9, None, False, by=-1e9)   # kept whatever it does, to see it
    d = start - keep.best.as_subclass(torch.Tensor).float()
    return float(start.mean()), float(start.mean()-d.mean()), float(d.mean()/(d.std()/len(d)**0.5)), len(d), time.time()-t


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--sets', nargs='+', default=['tasks/chest-xray', 'dev/catsdogs', 'dev/bears', 'tasks/flowers102-39'])
    p.add_argument('--noise', nargs='+', type=float, default=[0.0, 0.2])
    a = p.parse_args()
    from catdetect.models import bf16_ok
    print(f"{machine()}; bfloat16 path: {'yes' if bf16_ok() else 'no (float32 only)'}")
    print("| set | labels | head | after the trial | z | photos | seconds |\n|---|---|---|---|---|---|---|")
    for s in a.sets:
        for noise in a.noise:
            before, after, z, n, sec = trial(str(Path(a.data)/s), noise)
            print(f"| {s} | {'clean' if not noise else f'{noise:.0%} flipped'} | {before:.4f} | {after:.4f} | {z:.2f} | {n} | {sec:.1f} |", flush=True)
