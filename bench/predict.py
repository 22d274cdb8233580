#!/usr/bin/env python
"""Inference speed: fastai's `learn.predict` one photo at a time, against catdetect's `Predictor` (one by one,
batched, and on ONNX Runtime), on the same trained model and the same photos, in one process.

    python bench/predict.py [--data ../shared/data/dev/bears] [--n 200]

Prints images/s for each, the ratios to `learn.predict`, the label disagreements with it (must be 0) and the
largest probability difference, and the saved model's size and load time. Every path starts from the image file
on disk, so decoding and resizing are included.
"""
import argparse, os, tempfile, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
import torch
from fastai.vision.all import PILImage, get_image_files
from catdetect.data import folder_dls
from catdetect.train import train_classifier
from catdetect.export import export_model
from catdetect.predict import Predictor


def timed(f, n):
    t = time.time(); out = f(); return out, n/(time.time() - t)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'/'dev'/'bears'))
    p.add_argument('--n', type=int, default=200)
    a = p.parse_args()
    torch.set_num_threads(min(2, os.cpu_count()))
    from catdetect.models import bf16_ok
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), 'unknown CPU') if os.path.exists('/proc/cpuinfo') else 'unknown CPU'
    print(f"{cpu}, {os.cpu_count()} cores, bfloat16 {'native' if bf16_ok() else 'not native'} (prediction runs in float32 either way)")
    dls = folder_dls(a.data)
    learn = train_classifier(dls)
    d = Path(tempfile.mkdtemp())
    model = export_model(learn, d/'model')
    files = sorted(get_image_files(a.data))[::max(1, len(get_image_files(a.data))//a.n)][:a.n]
    n = len(files)

    t = time.time(); pred = Predictor.load(model); load_s = time.time() - t
    t = time.time(); onx = Predictor.load(model, backend='onnx'); onnx_first_s = time.time() - t   # includes the ONNX export
    t = time.time(); onx = Predictor.load(model, backend='onnx'); onnx_load_s = time.time() - t

    learn.predict(PILImage.create(files[0])); pred.predict(files[0]); onx.predict(files[0])   # warm up
    with learn.no_bar():
        ref, r_fastai = timed(lambda: [learn.predict(PILImage.create(f)) for f in files], n)
    one, r_one = timed(lambda: [pred.predict(f) for f in files], n)
    bat, r_bat = timed(lambda: pred.predict_batch(files), n)
    bat16, r_bat16 = timed(lambda: pred.predict_batch(files, bs=16), n)
    o1, r_o1 = timed(lambda: [onx.predict(f) for f in files], n)
    ob, r_ob = timed(lambda: onx.predict_batch(files, bs=8), n)

    ref_labels = [str(l) for l, _, _ in ref]
    ref_probs = [float(pr[i]) for _, i, pr in ref]
    def check(res):
        dis = sum(r.guess != l for r, l in zip(res, ref_labels))
        return dis, max(abs(r.prob - q) for r, q in zip(res, ref_probs))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {n} photos from {a.data}; model {learn.arch}, input {dls.valid.after_item.fs[0].size}")
    print(f"\n| path | images/s | vs learn.predict | label disagreements | max prob. difference |")
    print("|---|---|---|---|---|")
    print(f"| fastai `learn.predict`, one by one | {r_fastai:.1f} | 1.0x | - | - |")
    for name, res, r in [('Predictor (PyTorch), one by one', one, r_one), (f'Predictor (PyTorch), batched (bs={pred.bs})', bat, r_bat),
                         ('Predictor (PyTorch), batched (bs=16)', bat16, r_bat16),
                         ('Predictor (ONNX Runtime), one by one', o1, r_o1), ('Predictor (ONNX Runtime), batched (bs=8)', ob, r_ob)]:
        dis, diff = check(res)
        print(f"| {name} | {r:.1f} | {r/r_fastai:.1f}x | {dis} | {diff:.1e} |")
    w, j = model.with_suffix('.safetensors'), model
    print(f"\nModel files: {w.name} {w.stat().st_size/1e6:.1f} MB, {j.name} {j.stat().st_size/1e3:.1f} kB. "
          f"Load (checks sha256, builds the network): {load_s:.2f} s; ONNX: {onnx_first_s:.2f} s the first time (exports), {onnx_load_s:.2f} s after.")
    print(f"'not sure' among these {n} photos of the model's own classes: {sum(not r.sure for r in one)}")
