#!/usr/bin/env python
"""Whole-network fine-tuning at a lower resolution than the photos are judged at: can it buy what `epochs=2` buys
(all of the body trained, at 256 px) for a fraction of its time? From the same fitted head, the error on photos held
out from everything (20%, as `bench/tasks.py` splits) after fine-tuning at each size, and the seconds it took.

    python bench/low_res.py [--data ../shared/data] [--sets tasks/flowers102-39] [--noise 0.2]
                            [--sizes 128 160 192 256] [--epochs 1 2]

For each set: the head is fitted as `train_classifier(dls, epochs=0)` fits it; the training photos are decoded once
(`cached_dls`, the photos flagged as mislabelled left out, as `fine_tune_cached` does). Then, for each size and number
of epochs, from that head: `fine_tune_cached`'s training (fastai's one-cycle schedule, `slice(1e-5, 1e-4)`, BatchNorm
frozen, bfloat16 where the CPU has it), with the training batches' random crop (`aug_transforms`' `RandomResizedCropGPU`) resampled to
`size` px instead of 256; the held-out photos are always judged at 256 px, as the saved model sees them. 256 is
`epochs=N` itself. Prefix `CATDETECT_BF16=0` for the float32 path. A measurement only: nothing here is a default.
"""
import argparse, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine


def at_size(cached, size):
    "Set the output size of `cached`'s training batch transforms that have one (`aug_transforms`' `RandomResizedCropGPU`) to `size` px; the sizes they had."
    tfms = [t for t in cached.train.after_batch.fs if getattr(t, 'size', None) is not None]
    assert tfms, 'no batch transform with an output size'
    was = [t.size for t in tfms]
    for t in tfms: t.size = (size, size)
    return was


def probe(path, noise, sizes, epochs):
    "Rows of (size, epochs, held-out error, seconds) from the same head; and the head's own error."
    from tasks import learner_for, held_error
    from catdetect.data import cached_dls
    from catdetect.models import CPUMixedPrecision
    from catdetect.train import fit_head_fast, flagged, FrozenBatchNorm
    learn, c = learner_for(path, noise)
    fit_head_fast(learn, seed=42, progress=False)
    head = {k: v.clone() for k, v in learn.model.state_dict().items()}
    base, rows = learn.dls, []
    cached = cached_dls(base, leave_out=flagged(learn), progress=False)
    for size in sizes:
        for n in epochs:
            learn.model.load_state_dict(head); learn.dls = cached; learn.opt = None
            learn.unfreeze()
            was = at_size(cached, size)   # `base`'s own transform objects: they resize its validation photos too
            t = time.time()
            try:
                with learn.no_bar(), learn.no_logging(), learn.added_cbs([CPUMixedPrecision(), FrozenBatchNorm()]):
                    learn.fit_one_cycle(n, slice(1e-5, 1e-4), pct_start=0.3)
            finally: at_size(cached, was[0][0])   # back to the size the held-out photos are judged at, as the saved model sees them
            secs = time.time() - t
            learn.dls = base; learn.freeze()
            rows.append((size, n, held_error(learn, c), secs))
            print(f"  {size} px, {n} epoch{'s'*(n > 1)}: {rows[-1][2]:.2%} in {secs:.1f} s", flush=True)
    learn.model.load_state_dict(head)
    return rows, held_error(learn, c)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--sets', nargs='+', default=['tasks/flowers102-39'])
    p.add_argument('--noise', nargs='+', type=float, default=[0.2])
    p.add_argument('--sizes', nargs='+', type=int, default=[128, 160, 192, 256])
    p.add_argument('--epochs', nargs='+', type=int, default=[1, 2])
    a = p.parse_args()
    from catdetect.models import bf16_ok
    print(f"{machine()}; bfloat16 path: {'yes' if bf16_ok() else 'no (float32 only)'}")
    print("| set | training labels | head only | size, epochs | held-out error | seconds of fine-tuning |\n|---|---|---|---|---|---|")
    for s in a.sets:
        for noise in a.noise:
            rows, head = probe(str(Path(a.data)/s), noise, a.sizes, a.epochs)
            for size, n, err, secs in rows:
                print(f"| {s} | {'clean' if not noise else f'{noise:.0%} flipped'} | {head:.2%} | {size} px, {n} | {err:.2%} | {secs:.1f} |", flush=True)
