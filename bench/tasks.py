#!/usr/bin/env python
"""Training on photo sets catdetect was never tuned on: plain fastai against catdetect's head only, fixed fine-tuning
and its default choice, on photos held out from every decision, with clean labels and with 20% flipped.

    python bench/tasks.py [--data ../shared/data] [--sets tasks/flowers102-39 tasks/chest-xray dev/catsdogs dev/bears]
                          [--noise 0 0.2] [--methods plain head epochs2 default] [--bf16 1 0] [--repeat 1] [--split-seeds 42] [--train-seeds 42]

Each set is split once (seed 42; `--split-seeds 1 2` draws other splits and flips, a row each; `--train-seeds 1 2` trains
again with other seeds on the same split, a row each: another draw of validation photos, shuffles and folds): 20% held out, never
seen by training, calibration, label checks or any choice; the rest is what a user would give `folder_dls` (which
keeps 20% of it for validation). In a noisy condition 20% of
that rest gets another class at random (the held-out labels are never touched). Methods:
- `plain`: fastbook chapter 2's recipe (`RandomResizedCrop(192, min_scale=0.5)`, `aug_transforms()`, `fine_tune(2)`)
  on the same offline EfficientNet-Lite0 weights;
- `head`: `train_classifier(dls)` with `epochs=0` (the head on frozen features);
- `epochs2`: `train_classifier(dls, epochs=2)`;
- `default`: `train_classifier(dls)` as a user calls it: the head, then the automatic choice of whether and how long
  to fine-tune the body's last stages, judged on the validation photos only (the last column says what it chose, and
  for every catdetect method which way `label_issues='auto'` trained the head: 'report' or 'mend').

Every run is a fresh process: its wall time includes building the DataLoaders, its peak resident memory is its own.
`--bf16 1 0` runs each catdetect method on the bfloat16 path (where the CPU has it) and on the float32 path
(`CATDETECT_BF16=0`); prefix `ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2` for a laptop's AVX2 kernels. The first
line says which CPU ran and whether it has bfloat16 (`machine.py`). `--repeat N` runs each N times, one of each method
in turn, and gives the median wall time (five runs of the chest X-rays' head took 5.8-6.5 s). `--views 2` runs catdetect's
methods with `views=2` (the training photos also mirrored).
"""
import argparse, os, random, statistics, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine
from train import isolated


def condition(path, noise=0.0, seed=42):
    "Items and their given labels (20% flipped when `noise`), the held-out items and their true labels."
    from fastai.vision.all import RandomSplitter, parent_label
    from catdetect.data import image_files
    fns = sorted(image_files(path, check=False))
    rest, held = RandomSplitter(0.2, seed=seed)(fns)
    classes = sorted({parent_label(f) for f in fns})
    rest, held = [fns[i] for i in rest], [fns[i] for i in held]
    given, rng = {f: parent_label(f) for f in rest}, random.Random(seed)
    for f in rng.sample(rest, round(noise*len(rest))): given[f] = rng.choice([c for c in classes if c != given[f]])
    return dict(items=rest, given=given, held=held, truth=[parent_label(f) for f in held], classes=classes)


class Given:
    "A photo's given label (a callable fastai's DataLoader workers can pickle, unlike a lambda)."
    def __init__(self, given): self.given = given
    def __call__(self, f): return self.given[f]


def learner_for(path, noise, seed=42, per_class=None):
    "The set at `path` split as `condition` splits it (`seed`: the split and the flips), and a fresh learner on its `DataLoaders` as `train_classifier(dls, seed=42)` makes it (before any fitting); and the condition. `per_class`: only the first N photos of each true class go to the `DataLoaders`."
    from fastai.vision.all import DataBlock, CategoryBlock, RandomSplitter, Resize, aug_transforms, parent_label, set_seed
    from catdetect.data import GuardedImageBlock
    from catdetect.models import create_learner
    c = condition(Path(path), noise, seed)
    if per_class: c['items'] = [f for cls in c['classes'] for f in [f for f in c['items'] if parent_label(f) == cls][:per_class]]
    set_seed(42, reproducible=True)
    dls = DataBlock(blocks=(GuardedImageBlock(), CategoryBlock(vocab=c['classes'])), get_y=Given(c['given']), splitter=RandomSplitter(0.2, seed=42),
                    item_tfms=Resize(256), batch_tfms=aug_transforms(size=256, min_scale=0.75)).dataloaders(c['items'], path=path, bs=32)
    return create_learner(dls, lin_ftrs=[], ps=0.), c


def held_error(learn, c):
    "The error of `learn` on the condition `c`'s held-out photos (against their true labels)."
    with learn.no_bar():
        probs, _ = learn.get_preds(dl=learn.dls.test_dl(c['held']))
    return sum(str(learn.dls.vocab[int(p)]) != t for p, t in zip(probs.argmax(1), c['truth']))/len(c['held'])


def head_with_taps(path, noise, split_seed=42):
    "`learner_for`'s learner with its head fitted by `fit_head_fast`, keeping the activations (`learn.taps`), as `train_classifier(dls, seed=42)` fits it; and the condition (`split_seed`: the held-out split and the flips)."
    from catdetect.train import fit_head_fast
    learn, c = learner_for(path, noise, split_seed)
    fit_head_fast(learn, tap=True, seed=42, progress=False)
    return learn, c


def one_run(path, noise, method, bf16, views=1, split_seed=42, train_seed=42):
    "Train with `method` in this (fresh) process; the error on the held-out photos and the wall time. `split_seed`: the held-out split and the flips (`condition`); `train_seed`: the validation photos drawn from the rest, the shuffles, augmentations and cross-validation folds."
    os.environ['CATDETECT_BF16'] = str(bf16)
    import torch, multiprocessing
    multiprocessing.set_start_method('fork', force=True)   # DataLoader workers forked from this fresh process: fastai's transforms don't pickle
    from fastai.vision.all import (DataBlock, ImageBlock, CategoryBlock, RandomSplitter, RandomResizedCrop, Resize, aug_transforms,
                                   vision_learner, error_rate, set_seed)
    from catdetect.data import GuardedImageBlock
    from catdetect.models import lite_weights
    from catdetect.train import train_classifier
    c = condition(Path(path), noise, split_seed)
    t0 = time.time()
    plain = method == 'plain'
    item, batch = (RandomResizedCrop(192, min_scale=0.5), aug_transforms()) if plain else (Resize(256), aug_transforms(size=256, min_scale=0.75))
    set_seed(train_seed, reproducible=True)
    dls = DataBlock(blocks=(ImageBlock if plain else GuardedImageBlock(), CategoryBlock(vocab=c['classes'])), get_y=Given(c['given']),
                    splitter=RandomSplitter(0.2, seed=train_seed), item_tfms=item, batch_tfms=batch).dataloaders(c['items'], path=path, bs=32)
    if plain:
        learn = vision_learner(dls, 'tf_efficientnet_lite0', metrics=error_rate, pretrained_cfg_overlay=dict(file=str(lite_weights())))
        with learn.no_bar(), learn.no_logging(): learn.fine_tune(2)
    else: learn = train_classifier(dls, epochs={'head': 0, 'epochs2': 2}.get(method), seed=train_seed, views=views, progress=False)
    seconds = time.time() - t0
    error = held_error(learn, c)
    chose = getattr(learn, 'fine_tuning', None)
    gain = f" (trial: {chose['trial_gain']:+.4f}{', 2 draws' if chose.get('draws', 1) > 1 else ''}; {chose['tried']} epoch{'s'*(chose['tried'] != 1)} run, {chose['seconds']:.1f} s)" if chose and chose.get('trial') else ''   # where the trial passed: its gain, what the last stages ran
    labels = getattr(learn, 'label_choice', None)   # label_issues='auto': 'report' or 'mend', on the validation photos
    said = [f"labels: {labels['mode']}" if labels else '', chose['why'] + gain if chose else '']
    return dict(error=error, n_held=len(c['held']), seconds=seconds, chose='; '.join(w for w in said if w))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--sets', nargs='+', default=['tasks/flowers102-39', 'tasks/chest-xray', 'dev/catsdogs', 'dev/bears'])
    p.add_argument('--noise', nargs='+', type=float, default=[0.0, 0.2])
    p.add_argument('--methods', nargs='+', default=['plain', 'head', 'epochs2', 'default'])
    p.add_argument('--bf16', nargs='+', type=int, default=[1, 0])
    p.add_argument('--views', type=int, default=1, help="catdetect's passes over the training photos (2: also mirrored; the methods' names say so)")
    p.add_argument('--split-seeds', nargs='+', type=int, default=[42], help='draws of the held-out split and the flips (each a row)')
    p.add_argument('--train-seeds', nargs='+', type=int, default=[42], help='seeds of training (each a row): the validation photos drawn from the rest, shuffles, augmentations, folds')
    p.add_argument('--repeat', type=int, default=1, help='runs of each, interleaved across methods; the wall time is their median')
    a = p.parse_args()
    from catdetect.models import bf16_ok
    print(f"{machine()}; bfloat16 path: {'yes' if bf16_ok() else 'no (float32 only)'}")
    print("| set | training labels | split | method | CPU path | held-out error | wall time | peak memory | chose |\n|---|---|---|---|---|---|---|---|---|")
    for s, noise, split, ts in [(s, noise, split, ts) for s in a.sets for noise in a.noise for split in a.split_seeds for ts in a.train_seeds]:
        runs = [(m, bf16) for m in a.methods for bf16 in ([1] if m == 'plain' else a.bf16)]
        done = {r: [] for r in runs}
        for _ in range(a.repeat):   # one of each, then again: what drifts over the runs drifts for every method alike
            for m, bf16 in runs: done[m, bf16].append(isolated(one_run, str(Path(a.data)/s), noise, m, bf16, a.views, split, ts))
        for (m, bf16), rs in done.items():
            r, secs = rs[0], sorted(x['seconds'] for x in rs)
            errors = ', '.join(sorted({f"{x['error']:.2%}" for x in rs}))   # one figure where every run agrees
            wall = f"{statistics.median(secs):.1f} s" + (f" (median of {len(secs)}: {secs[0]:.1f}-{secs[-1]:.1f})" if len(secs) > 1 else '')
            path = 'fastai (float32)' if m == 'plain' else ('bfloat16' if bf16 and bf16_ok() else 'float32')
            name = m if m == 'plain' or a.views == 1 else f'{m}, views {a.views}'
            print(f"| {s} | {'clean' if not noise else f'{noise:.0%} flipped'} | {split if ts == 42 else f'{split}, training seed {ts}'} | {name} | {path} | {errors} of {r['n_held']} | "
                  f"{wall} | {max(x['peak_mb'] for x in rs):,.0f} MB | {' / '.join(sorted({x['chose'] for x in rs}))} |", flush=True)
