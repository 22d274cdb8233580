#!/usr/bin/env python
"""What `fine_tune_tail`'s first trial epoch (the head conv and the head alone; replaced on 2026-12-04 by an epoch of the
last stages on a third of the photos, `bench/tail_variants.py --variants third`) does to the validation loss it judges by,
from the same fitted head: the mean loss of the validation photos not flagged, before and after, the paired test's
z (`beats`) and the seconds.

    python bench/tail_trial.py [--data ../shared/data] [--sets tasks/chest-xray dev/catsdogs dev/bears tasks/flowers102-39]
                               [--noise 0 0.2] [--trials 1]

With `--trials N` the trial epoch runs N times from the same head, seeded 0 to N-1, and the table gives each one's
gain in mean loss (nats a photo) and z, then those of the mean of the first three (`trial_losses`' default) and of all.

Each set is split as `bench/tasks.py` splits it (20% held out, never loaded here); the rest goes to `folder_dls`'s
split (20% validation). The trial's outcome is printed whatever it is (nothing is kept or rejected here).
"""
import argparse, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine


def gain(start, after):
    "The mean loss's fall from `start` to `after` (per-photo losses), and its paired z (`beats`)."
    d = start - after
    return float(d.mean()), float(d.mean()/(d.std()/len(d)**0.5))


def trial(path, noise, trials=1):
    "The head's mean validation loss, each trial's losses (seeded 0, 1, ...), the number of photos, the seconds of a trial."
    import torch
    from fastai.vision.all import set_seed
    from catdetect.models import tail_split, after_stages
    import catdetect.train as tr
    from tasks import head_with_taps
    learn, _ = head_with_taps(path, noise)
    acts, vacts = learn.taps[:2]
    late = tail_split(learn.model)[1]
    conv = late[:after_stages(late)].eval()   # what enters the head conv: the last stages run once on what enters them
    with torch.no_grad(): probes = tuple(torch.cat([conv(t[i:i+64].float()) for i in range(0, len(t), 64)]).to(t.dtype) for t in (acts, vacts))
    def drawn(seed):   # a learner whose DataLoader shuffles and mirrors from `seed` (fastai's DataLoader keeps its own `rng`)
        set_seed(seed, reproducible=True)
        return tr.tail_learner(learn, tr.tap_dls(learn, *probes, 32), after_stages(tail_split(learn.model)[1]))
    with drawn(0).no_bar() as pl: start = pl.get_preds(with_loss=True)[2].as_subclass(torch.Tensor).float()
    t, after = time.time(), []
    for seed in range(trials): after.append(tr.trial_losses(drawn(seed), slice(1e-5, 1e-3), 1, progress=False).as_subclass(torch.Tensor))
    return start, after, (time.time()-t)/trials


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--sets', nargs='+', default=['tasks/chest-xray', 'dev/catsdogs', 'dev/bears', 'tasks/flowers102-39'])
    p.add_argument('--noise', nargs='+', type=float, default=[0.0, 0.2])
    p.add_argument('--trials', type=int, default=1, help='trial epochs from the same head, each seeded')
    a = p.parse_args()
    from catdetect.models import bf16_ok
    print(f"{machine()}; bfloat16 path: {'yes' if bf16_ok() else 'no (float32 only)'}")
    means = [('mean of 3', 3)] * (a.trials > 3) + [(f'mean of {a.trials}', a.trials)] * (a.trials > 1)
    print(f"| set | labels | head | {' | '.join([f'seed {i}: gain, z' for i in range(a.trials)] + [m for m,_ in means])} | photos | seconds a trial |")
    print('|---' * (5 + a.trials + len(means)) + '|')
    for s in a.sets:
        for noise in a.noise:
            start, after, sec = trial(str(Path(a.data)/s), noise, a.trials)
            cells = [gain(start, x) for x in after] + [gain(start, sum(after[:k])/k) for _,k in means]
            print(f"| {s} | {'clean' if not noise else f'{noise:.0%} flipped'} | {float(start.mean()):.4f} | "
                  + ' | '.join(f'{g:+.4f}, {z:.2f}' for g,z in cells) + f" | {len(start)} | {sec:.1f} |", flush=True)
