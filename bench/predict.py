#!/usr/bin/env python
"""Inference speed: fastai's `learn.predict` one photo at a time, against catdetect's `Predictor` on each inference
engine (one by one, batched, and batched with decoding in threads), on the same trained model and photos, in one process.

    python bench/predict.py [--data ../shared/data/dev/bears] [--n 200]

Prints the CPU, whether it computes bfloat16 natively (predictions run in float32 either way: the engines are told
so, and `CATDETECT_BF16` changes only how the model was trained), images/s for each path, the ratios to
`learn.predict`, the label disagreements with it (must be 0) and the largest probability difference, and the saved
model's size and load time. Every path starts from the image file on disk, so decoding and resizing are included.
Each path runs once untimed first (OpenVINO compiles the network once per batch shape), then is timed: steady state.
Batch sizes are the functions' defaults (`Predictor.bs` for `predict_batch`, 16 for `predict_folder`). OpenVINO runs a
float32 batch one photo per request on parallel streams; two more rows run its batched paths with each batch in one
request, as catdetect did before, so that one run shows what the streams gain.

A CPU without AVX-512 or bfloat16 (most laptops), on one that has them: prefix the command with
`ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2`, which holds OpenVINO and PyTorch to their AVX2 kernels (ONNX
Runtime has no such switch); the first line printed says so (`machine.py`).
"""
import argparse, importlib.util, tempfile, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
import torch
from fastai.vision.all import PILImage, get_image_files
from catdetect.data import folder_dls
from catdetect.train import train_classifier
from catdetect.modelfile import export_model
from catdetect.models import bf16_ok
from catdetect.engines import engines, engine_installed
from catdetect.predict import Predictor, predict_rows
from engines import one_request
from machine import cores, machine


def timed(f, n):
    t = time.perf_counter(); out = f(); return out, n/(time.perf_counter() - t)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'/'dev'/'bears'))
    p.add_argument('--n', type=int, default=200)
    a = p.parse_args()
    torch.set_num_threads(min(2, cores()))
    print(f"{machine()}, {torch.get_num_threads()} threads, bfloat16 {'native' if bf16_ok() else 'not native'}"
          " (predictions run in float32 on every engine)")
    dls = folder_dls(a.data)
    learn = train_classifier(dls, progress=False)
    model = export_model(learn, Path(tempfile.mkdtemp())/'model')
    every = sorted(get_image_files(a.data))
    files = every[::max(1, len(every)//a.n)][:a.n]
    n = len(files)

    preds, loads = {}, {}
    for e in [e for e in engines if engine_installed(e)]:
        Predictor.load(model, backend=e)   # the first time exports the ONNX file into the cache
        t = time.perf_counter(); preds[e] = Predictor.load(model, backend=e); loads[e] = time.perf_counter() - t
        preds[e].predict(files[0])   # warm up
    learn.predict(PILImage.create(files[0]))
    with learn.no_bar():
        ref, r_fastai = timed(lambda: [learn.predict(PILImage.create(f)) for f in files], n)
    ref_labels, ref_probs = [str(l) for l, _, _ in ref], [float(pr[i]) for _, i, pr in ref]

    rows = []
    def steady(f):
        f(); return timed(f, n)
    for e, pr in preds.items():
        rows.append((f'{pr.engine}, one by one (`predict`)', *steady(lambda: [pr.predict(f) for f in files])))
        rows.append((f'{pr.engine}, batched (`predict_batch`, bs={pr.bs})', *steady(lambda: pr.predict_batch(files))))
        res, r = steady(lambda: list(predict_rows(pr, files)))
        rows.append((f'{pr.engine}, batched, decoding in threads (`predict_folder`, bs=16)', [dict(guess=x['guess'], prob=float(x['prob'])) for x in res], r))
    if 'openvino' in preds:   # the same two batched paths, each batch in one request (OpenVINO's streams off): what they gain
        pr = Predictor.load(model, backend='torch')   # (no engine compiled: it is replaced at once)
        pr.runner = one_request(pr.to_onnx(), torch.get_num_threads())
        rows.append(('openvino, whole batch in one request, `predict_batch`', *steady(lambda: pr.predict_batch(files))))
        res, r = steady(lambda: list(predict_rows(pr, files)))
        rows.append(('openvino, whole batch in one request, `predict_folder`', [dict(guess=x['guess'], prob=float(x['prob'])) for x in res], r))
    print(f"\ntorch {torch.__version__}; {n} photos; model {learn.arch}, input {dls.valid.after_item.fs[0].size}")
    print(f"\n| path | images/s | vs learn.predict | label disagreements | max prob. difference |")
    print("|---|---|---|---|---|")
    print(f"| fastai `learn.predict`, one by one | {r_fastai:.1f} | 1.0x | - | - |")
    for name, res, r in rows:
        g = [x['guess'] if isinstance(x, dict) else x.guess for x in res]
        q = [x['prob'] if isinstance(x, dict) else x.prob for x in res]
        dis = sum(a_ != b for a_, b in zip(g, ref_labels))
        print(f"| Predictor: {name} | {r:.1f} | {r/r_fastai:.1f}x | {dis} | {max(abs(x - y) for x, y in zip(q, ref_probs)):.1e} |")
    w = model.with_suffix('.safetensors')
    print(f"\nModel files: {w.name} {w.stat().st_size/1e6:.1f} MB, {model.name} {model.stat().st_size/1e3:.1f} kB. Load (checks sha256, "
          f"builds the network, compiles the engine from the cached export): " + ", ".join(f"{e} {s:.2f} s" for e, s in loads.items()))
