#!/usr/bin/env python
"""Training speed and accuracy: plain fastai `fine_tune` as a fastbook reader runs it, against catdetect's
`train_classifier`, on the same photos, split and backbone, in the same process.

    python bench/train.py [--data ../shared/data/dev] [--sets catsdogs bears] [--epochs 2]

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


def catdetect_fast(path, seed=42, **kwargs):
    t0 = time.time()
    dls = folder_dls(path, seed=seed)
    learn = train_classifier(dls, seed=seed, **kwargs)
    seconds = time.time() - t0
    steps = [(r['at'] - t0, r['error_rate']) for r in learn.fast_fit]
    return dict(seconds=seconds, error=float(learn.validate()[1]), steps=steps, valid=sorted(map(str, dls.valid_ds.items)))


def first_reach(steps, target):
    return next((t for t, e in steps if e <= target + 1e-9), float('nan'))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'/'dev'))
    p.add_argument('--sets', nargs='+', default=['catsdogs', 'bears'])
    p.add_argument('--epochs', type=int, default=2, help="plain fastai's fine_tune(epochs)")
    a = p.parse_args()
    torch.set_num_threads(min(2, os.cpu_count()))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, bf16 {'native' if torch.ops.mkldnn._is_mkldnn_bf16_supported() else 'not native'}")
    rows = []
    for name in a.sets:
        path = Path(a.data)/name
        plain = plain_fastai(path, a.epochs)
        ours = catdetect_fast(path)
        assert plain['valid'] == ours['valid'], 'the two runs must validate on the same photos'
        target = plain['error']
        t_plain, t_ours = first_reach(plain['steps'], target), first_reach(ours['steps'], target)
        rows.append((name, len(plain['valid']), plain, ours, target, t_plain, t_ours))
        print(f"\n{name}: plain fastai epochs (s, error) {[(round(t, 1), round(e, 4)) for t, e in plain['steps']]}")
        print(f"{name}: catdetect steps (s, error)   {[(round(t, 1), round(e, 4)) for t, e in ours['steps']]}")
    print(f"\n| data | valid photos | run | wall time | valid error | time to reach plain's final error | speed-up |")
    print("|---|---|---|---|---|---|---|")
    for name, nv, plain, ours, target, t_plain, t_ours in rows:
        print(f"| {name} | {nv} | plain fastai `fine_tune({a.epochs})` | {plain['seconds']:.1f} s | {plain['error']:.2%} | {t_plain:.1f} s | 1.0x |")
        print(f"| {name} | {nv} | catdetect `train_classifier` | {ours['seconds']:.1f} s | {ours['error']:.2%} | {t_ours:.1f} s | "
              f"{plain['seconds']/ours['seconds']:.1f}x wall, {t_plain/t_ours:.1f}x to reach |")
