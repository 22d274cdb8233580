#!/usr/bin/env python
"""Training speed and accuracy: plain fastai `fine_tune` as a fastbook reader runs it, against catdetect's
`train_classifier`, on the same photos, split and backbone, in the same process.

    python bench/train.py [--data ../shared/data/dev] [--sets catsdogs bears] [--epochs 2]
    python bench/train.py --grid [--sizes 192 224 256] [--views 1 2] [--noise 0 0.2] [--splits 3]

It prints the CPU it ran on, and runs catdetect twice where the CPU has bfloat16: once on that path and once
forced to float32 (`CATDETECT_BF16=0`), the path of most laptops, so one run gives both rows. Each run has a fresh
process, whose peak resident memory is reported beside its time.

For each data set it prints wall time, validation error, the time until the validation error first reaches
plain fastai's final error, and the speed-up. Wall time counts everything a user waits for: building the
DataLoaders, the learner (weights included) and training. Errors are fastai's `learn.validate()` on the
validation set (float32), except the per-step times of catdetect's run, which come from its own table.

`--grid` measures what resolution and mirrored views buy: catdetect at each input size and number of views, with
clean and with partly flipped training labels (as `bench/noise.py` flips them), on several random 80/20 splits; the
error is on the validation photos (never trained on, labels never flipped), pooled over the splits.

A CPU without AVX-512 or bfloat16 (most laptops), on one that has them: prefix the command with
`ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2`, which holds OpenVINO and PyTorch to their AVX2 kernels (ONNX
Runtime has no such switch); the first line printed says so (`machine.py`).
"""
import argparse, multiprocessing, os, resource, sys, time, warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
warnings.filterwarnings('ignore')
import torch
from fastai.vision.all import (DataBlock, ImageBlock, CategoryBlock, get_image_files, RandomSplitter, parent_label,
                               RandomResizedCrop, aug_transforms, vision_learner, error_rate, Callback, set_seed)
from catdetect.data import folder_dls
from catdetect.models import lite_weights
from catdetect.train import train_classifier
from machine import cores, machine


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
    from catdetect.models import bf16_ok
    from catdetect.engines import pick_engine
    t0 = time.time()
    dls = folder_dls(path, seed=seed)
    learn = train_classifier(dls, seed=seed, **kwargs)
    seconds = time.time() - t0
    steps = [(r['at'] - t0, r['error_rate']) for r in learn.fast_fit]
    return dict(seconds=seconds, error=float(learn.validate()[1]), steps=steps, valid=sorted(map(str, dls.valid_ds.items)),
                engine=f"{pick_engine()} {'bfloat16' if bf16_ok() else 'float32'}")


def imports_only():
    "What a process holds before it trains: Python, PyTorch, fastai and catdetect imported."
    import fastai.vision.all, catdetect.train
    return {}


def _with_peak(fn, args, kwargs):
    torch.set_num_threads(min(2, cores()))
    r = fn(*args, **kwargs)
    r['peak_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024   # Linux: kB
    return r


def isolated(fn, *args, **kwargs):
    "`fn(*args, **kwargs)` in a fresh process, with that process's peak resident memory (MB) added to its result."
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context('spawn')) as ex: return ex.submit(_with_peak, fn, args, kwargs).result()


def grid(path, sizes, views, noises, splits):
    "Pooled validation errors and mean seconds of catdetect for each (noise, size, views) over `splits` random splits."
    from noise import condition, dls_for
    out = {}
    for noise in noises:
        for split in range(splits):
            c = condition(path, noise=noise, seed=split, split_seed=42 + split)
            for size in sizes:
                dls = None
                for v in views:
                    t0 = time.time()
                    dls = dls_for(c, False, path, size=size)
                    learn = train_classifier(dls, seed=42, views=v, progress=False)
                    secs = time.time() - t0
                    with learn.no_bar(): err = float(learn.validate()[1])
                    r = out.setdefault((noise, size, v), dict(wrong=0, n=0, seconds=[]))
                    r['wrong'] += round(err*len(dls.valid_ds)); r['n'] += len(dls.valid_ds); r['seconds'].append(secs)
                    print(f"  {path.name} noise {noise:.0%} split {split} {size}px views {v}: error {err:.2%}, {secs:.1f} s", flush=True)
    return out


def first_reach(steps, target):
    return next((t for t, e in steps if e <= target + 1e-9), float('nan'))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'/'dev'))
    p.add_argument('--sets', nargs='+', default=['catsdogs', 'bears'])
    p.add_argument('--epochs', type=int, default=2, help="plain fastai's fine_tune(epochs)")
    p.add_argument('--grid', action='store_true', help='resolution and views by measurement (see above) instead of the speed table')
    p.add_argument('--sizes', nargs='+', type=int, default=[192, 224, 256])
    p.add_argument('--views', nargs='+', type=int, default=[1, 2])
    p.add_argument('--noise', nargs='+', type=float, default=[0.0, 0.2])
    p.add_argument('--splits', type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(min(2, cores()))
    from catdetect.models import bf16_ok
    native = bf16_ok()
    print(f"{machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"bfloat16 {'native: catdetect runs on both paths' if native else 'not native: float32 only'}")
    if a.grid:
        print(f"catdetect's own path on this CPU: {'bfloat16' if native else 'float32'} (CATDETECT_BF16=0 forces float32)")
        res = {name: grid(Path(a.data)/name, a.sizes, a.views, a.noise, a.splits) for name in a.sets}
        print(f"\n| data | training labels | input | views | valid error ({a.splits} splits pooled) | wrong / photos | seconds (mean) |")
        print("|---|---|---|---|---|---|---|")
        for name, r in res.items():
            for (noise, size, v), x in r.items():
                print(f"| {name} | {noise:.0%} flipped | {size} px | {v} | {x['wrong']/x['n']:.2%} | {x['wrong']} / {x['n']} | {sum(x['seconds'])/len(x['seconds']):.1f} |")
        sys.exit(0)
    rows = []
    base = isolated(imports_only)['peak_mb']
    for name in a.sets:
        path = Path(a.data)/name
        plain = isolated(plain_fastai, path, a.epochs)
        print(f"\n{name}: plain fastai epochs (s, error) {[(round(t, 1), round(e, 4)) for t, e in plain['steps']]}, peak {plain['peak_mb']:.0f} MB", flush=True)
        for bf16 in ([True, False] if native else [False]):
            ours = isolated(catdetect_fast, path, bf16=bf16, progress=False)
            assert plain['valid'] == ours['valid'], 'the two runs must validate on the same photos'
            target = plain['error']
            t_plain, t_ours = first_reach(plain['steps'], target), first_reach(ours['steps'], target)
            rows.append((name, ours['engine'], len(plain['valid']), plain, ours, t_plain, t_ours))
            print(f"{name} ({ours['engine']}): catdetect steps (s, error) {[(round(t, 1), round(e, 4)) for t, e in ours['steps']]}, peak {ours['peak_mb']:.0f} MB", flush=True)
    print(f"\nEach run in a fresh process; peak memory is that process's peak resident set ({base:.0f} MB of it is Python, PyTorch, fastai and catdetect imported).")
    print(f"\n| data | train / valid photos | run | wall time | valid error | time to reach plain's final error | speed-up | peak memory |")
    print("|---|---|---|---|---|---|---|---|")
    shown = set()
    for name, engine, nv, plain, ours, t_plain, t_ours in rows:
        nt = len(get_image_files(Path(a.data)/name)) - nv
        if name not in shown:
            shown.add(name)
            print(f"| {name} | {nt} / {nv} | plain fastai `fine_tune({a.epochs})` | {plain['seconds']:.1f} s | {plain['error']:.2%} | {t_plain:.1f} s | 1.0x | {plain['peak_mb']:.0f} MB |")
        print(f"| {name} | {nt} / {nv} | catdetect `train_classifier`, {engine} | {ours['seconds']:.1f} s | {ours['error']:.2%} | {t_ours:.1f} s | "
              f"{plain['seconds']/ours['seconds']:.1f}x wall, {t_plain/t_ours:.1f}x to reach | {ours['peak_mb']:.0f} MB |")
