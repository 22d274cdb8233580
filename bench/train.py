#!/usr/bin/env python
"""Training speed and accuracy: plain fastai `fine_tune` as a fastbook reader runs it, against catdetect's
`train_classifier`, on the same photos, split and backbone, in the same process.

    python bench/train.py [--data ../shared/data/dev] [--sets catsdogs bears] [--epochs 2]

It prints the CPU it ran on, and runs catdetect twice where the CPU has bfloat16: once on that path and once
forced to float32 (`CATDETECT_BF16=0`), the path of most laptops, so one run gives both rows.

For each data set it prints wall time, validation error, the time until the validation error first reaches
plain fastai's final error, and the speed-up. Wall time counts everything a user waits for: building the
DataLoaders, the learner (weights included) and training. Errors are fastai's `learn.validate()` on the
validation set (float32), except the per-step times of catdetect's run, which come from its own table.
"""
import argparse, os, sys, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
import torch
from fastai.vision.all import (DataBlock, ImageBlock, CategoryBlock, get_image_files, RandomSplitter, parent_label,
                               RandomResizedCrop, aug_transforms, vision_learner, error_rate, Callback, set_seed)
from catdetect.data import folder_dls
from catdetect.models import lite_weights
from catdetect.train import train_classifier


class EpochClock(Callback):
    "Record (seconds since `t0`, validation error) after every epoch, once the `Recorder` has its values."
    order = 60   # after Recorder (50)
    def __init__(self, t0): self.t0, self.log = t0, []
    def after_epoch(self): self.log.append((time.time() - self.t0, float(self.recorder.values[-1][-1])))


def plain_fastai(path, epochs, seed=42):
    "fastbook chapter 2, as written, on the offline EfficientNet-Lite0 weights."
    set_seed(seed, reproducible=True)
    t0 = time.time()
    bears = DataBlock(blocks=(ImageBlock, CategoryBlock), get_items=get_image_files,
                      splitter=RandomSplitter(valid_pct=0.2, seed=seed), get_y=parent_label,
                      item_tfms=RandomResizedCrop(192, min_scale=0.5), batch_tfms=aug_transforms())
    dls = bears.dataloaders(path)
    learn = vision_learner(dls, 'tf_efficientnet_lite0', metrics=error_rate,
                           pretrained_cfg_overlay=dict(file=str(lite_weights())))
    clock = EpochClock(t0)
    learn.fine_tune(epochs, cbs=clock)
    return dict(seconds=time.time() - t0, error=float(learn.validate()[1]), steps=clock.log,
                valid=sorted(map(str, dls.valid_ds.items)))


def catdetect_fast(path, seed=42, bf16=True, **kwargs):
    os.environ['CATDETECT_BF16'] = '1' if bf16 else '0'
    t0 = time.time()
    dls = folder_dls(path, seed=seed)
    learn = train_classifier(dls, seed=seed, **kwargs)
    seconds = time.time() - t0
    steps = [(r['at'] - t0, r['error_rate']) for r in learn.fast_fit]
    return dict(seconds=seconds, error=float(learn.validate()[1]), steps=steps, valid=sorted(map(str, dls.valid_ds.items)))


def cpu_name():
    try: return next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration): return 'unknown CPU'


def first_reach(steps, target):
    return next((t for t, e in steps if e <= target + 1e-9), float('nan'))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'/'dev'))
    p.add_argument('--sets', nargs='+', default=['catsdogs', 'bears'])
    p.add_argument('--epochs', type=int, default=2, help="plain fastai's fine_tune(epochs)")
    a = p.parse_args()
    torch.set_num_threads(min(2, os.cpu_count()))
    from catdetect.models import bf16_ok
    native = bf16_ok()
    print(f"{cpu_name()}, {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"bfloat16 {'native: catdetect runs on both paths' if native else 'not native: float32 only'}")
    rows = []
    for name in a.sets:
        path = Path(a.data)/name
        plain = plain_fastai(path, a.epochs)
        print(f"\n{name}: plain fastai epochs (s, error) {[(round(t, 1), round(e, 4)) for t, e in plain['steps']]}")
        for bf16 in ([True, False] if native else [False]):
            ours = catdetect_fast(path, bf16=bf16)
            assert plain['valid'] == ours['valid'], 'the two runs must validate on the same photos'
            target = plain['error']
            t_plain, t_ours = first_reach(plain['steps'], target), first_reach(ours['steps'], target)
            rows.append((name, 'bfloat16' if bf16 else 'float32', len(plain['valid']), plain, ours, t_plain, t_ours))
            print(f"{name} ({'bfloat16' if bf16 else 'float32'}): catdetect steps (s, error)   {[(round(t, 1), round(e, 4)) for t, e in ours['steps']]}")
    print(f"\n| data | valid photos | run | wall time | valid error | time to reach plain's final error | speed-up |")
    print("|---|---|---|---|---|---|---|")
    shown = set()
    for name, path_, nv, plain, ours, t_plain, t_ours in rows:
        if name not in shown:
            shown.add(name)
            print(f"| {name} | {nv} | plain fastai `fine_tune({a.epochs})` | {plain['seconds']:.1f} s | {plain['error']:.2%} | {t_plain:.1f} s | 1.0x |")
        print(f"| {name} | {nv} | catdetect `train_classifier`, {path_} | {ours['seconds']:.1f} s | {ours['error']:.2%} | {t_ours:.1f} s | "
              f"{plain['seconds']/ours['seconds']:.1f}x wall, {t_plain/t_ours:.1f}x to reach |")
