#!/usr/bin/env python
"""Training through wrong labels: plain fastai, catdetect before issue 10 (fixed `wd=1e-3`, no label checks) and
catdetect now (penalty by cross-validation, label issues found), on real photos with training labels flipped at random.

    python bench/noise.py [--data ../shared/data/dev] [--sets catsdogs bears] [--noise 0 0.1 0.2] [--few 10 30] [--no-plain] [--epochs 2]

Every run validates on the same 20% of the photos (split with seed 42, as `folder_dls` does), whose labels are
never touched: the error is on photos the model never saw, against their true labels. In each noisy condition a
fixed share of the training photos (chosen with a fixed seed) gets another class at random; the flips are known, so
the label-issue finder's precision and recall are measured against them. `--few N` trains on N photos per class
(clean labels). Plain fastai is fastbook chapter 2's recipe (`RandomResizedCrop(192, min_scale=0.5)`,
`aug_transforms()`, `fine_tune(2)`) on the same offline EfficientNet-Lite0 weights. `--epochs N` fine-tunes catdetect's
models N epochs after the head (`train_classifier(epochs=N)`): the test of whether the body learns the wrong labels.
"""
import argparse, random, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
import torch
from fastai.vision.all import (DataBlock, ImageBlock, CategoryBlock, FuncSplitter, RandomSplitter, RandomResizedCrop, Resize,
                               aug_transforms, vision_learner, error_rate, parent_label, set_seed)
from catdetect.data import GuardedImageBlock, image_files
from catdetect.models import lite_weights
from catdetect.models import bf16_ok
from catdetect.train import train_classifier
from machine import cores, machine


def condition(path, noise=0.0, few=None, seed=0, split_seed=42):
    "Items, true and given labels, the validation files and the flipped files of one condition."
    fns = list(image_files(path, check=False))
    tr, va = RandomSplitter(0.2, seed=split_seed)(fns)
    train, valid = [fns[i] for i in tr], [fns[i] for i in va]
    truth = {f: parent_label(f) for f in fns}
    classes = sorted(set(truth.values()))
    rng = random.Random(seed)
    if few: train = [f for c in classes for f in rng.sample([f for f in train if truth[f] == c], few)]
    given = dict(truth)
    flipped = set(rng.sample(train, round(noise*len(train))))
    for f in flipped: given[f] = rng.choice([c for c in classes if c != truth[f]])
    return dict(items=train + valid, given=given, valid=set(valid), flipped=flipped, classes=classes, n_train=len(train))


def dls_for(c, plain, path, size=256):
    item_tfms, batch_tfms = (RandomResizedCrop(192, min_scale=0.5), aug_transforms()) if plain else (Resize(size), aug_transforms(size=size, min_scale=0.75))
    block = ImageBlock if plain else GuardedImageBlock()
    db = DataBlock(blocks=(block, CategoryBlock(vocab=c['classes'])), get_y=lambda f: c['given'][f],
                   splitter=FuncSplitter(lambda f: f in c['valid']), item_tfms=item_tfms, batch_tfms=batch_tfms)
    set_seed(42, reproducible=True)
    return db.dataloaders(c['items'], path=path, bs=32)


def run(c, path, how, epochs=0):
    t0 = time.time()
    dls = dls_for(c, how == 'plain', path)
    if how == 'plain':
        learn = vision_learner(dls, 'tf_efficientnet_lite0', metrics=error_rate, pretrained_cfg_overlay=dict(file=str(lite_weights())))
        with learn.no_bar(), learn.no_logging(): learn.fine_tune(2)
    else:
        kw = dict(wd=1e-3, label_issues='ignore') if how == 'before' else {}
        learn = train_classifier(dls, seed=42, progress=False, epochs=epochs, **kw)
    seconds = time.time() - t0
    with learn.no_bar(): err = float(learn.validate()[1])
    out = dict(error=err, seconds=seconds)
    if how == 'after':
        flagged = {Path(r['item']) for r in learn.label_issues if r['split'] == 'train'}
        hit = len(flagged & {Path(f) for f in c['flipped']})
        out.update(flagged=len(flagged), wd=learn.penalty['wd'],
                   precision=hit/len(flagged) if flagged else float('nan'), recall=hit/len(c['flipped']) if c['flipped'] else float('nan'))
    return out


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'/'dev'))
    p.add_argument('--sets', nargs='+', default=['catsdogs', 'bears'])
    p.add_argument('--noise', nargs='+', type=float, default=[0.0, 0.1, 0.2])
    p.add_argument('--few', nargs='*', type=int, default=[10, 30])
    p.add_argument('--no-plain', action='store_true', help='leave out plain fastai (the slow runs)')
    p.add_argument('--epochs', type=int, default=0, help="catdetect's fine-tuning epochs after the head")
    a = p.parse_args()
    torch.set_num_threads(min(2, cores()))
    print(f"{machine()}, torch {torch.__version__}, bfloat16 path: {'yes' if bf16_ok() else 'no (float32)'}")
    conds = [(f'{n:.0%} flipped', dict(noise=n)) for n in a.noise] + [(f'{k} per class', dict(few=k)) for k in a.few]
    hows = (['plain'] if not a.no_plain else []) + ['before', 'after']
    rows = []
    for name in a.sets:
        path = Path(a.data)/name
        for label, kw in conds:
            c = condition(path, **kw)
            res = {h: run(c, path, h, a.epochs) for h in hows}
            rows.append((name, label, c, res))
            print(name, label, {h: {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()} for h, r in res.items()}, flush=True)
    print("\n| data | training labels | train photos | " + " | ".join(f"{h} error" for h in hows) + " | after: wd | flagged | precision | recall | seconds (" + ", ".join(hows) + ") |")
    print("|---|---|---|" + "---|"*len(hows) + "---|---|---|---|---|")
    for name, label, c, res in rows:
        af = res['after']
        pr = (f"{af['precision']:.0%} | {af['recall']:.0%}" if c['flipped'] else "– | –")
        print(f"| {name} | {label} | {c['n_train']} | " + " | ".join(f"{res[h]['error']:.2%}" for h in hows)
              + f" | {af['wd']:g} | {af['flagged']} | {pr} | " + ", ".join(f"{res[h]['seconds']:.0f}" for h in hows) + " |")
