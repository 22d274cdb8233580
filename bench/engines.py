#!/usr/bin/env python
"""The frozen network on each inference engine: milliseconds per image for EfficientNet-Lite0's body and pooling
(what `body_features` runs while training, and most of a prediction), in one process, on this CPU.

    python bench/engines.py [--sizes 192 224 256] [--batches 1 16]

Rows: PyTorch float32 (channels-last) and bfloat16 (autocast), ONNX Runtime float32, OpenVINO float32 and, where
the CPU computes bfloat16 natively (`bf16_ok()`), OpenVINO bfloat16; each with its largest difference from PyTorch's
float32 features (values up to about 6). bfloat16 rows are skipped on CPUs without it (and with CATDETECT_BF16=0).

A CPU without AVX-512 or bfloat16 (most laptops), on one that has them: prefix the command with
`ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2`, which holds OpenVINO and PyTorch to their AVX2 kernels (ONNX
Runtime has no such switch); the first line printed says so (`machine.py`).
"""
import argparse, time, warnings
warnings.filterwarnings('ignore')
import numpy as np, torch
from catdetect.models import create_model, feature_net, compile_engine, export_onnx, bf16_ok, engines
from catdetect.models import _installed
from machine import cores, machine


def ms_per_image(run, x, seconds=1.5):
    run(x); run(x)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds: run(x); n += 1
    return (time.perf_counter() - t0)/n/len(x)*1000


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--sizes', nargs='+', type=int, default=[192, 224, 256])
    p.add_argument('--batches', nargs='+', type=int, default=[1, 16])
    a = p.parse_args()
    torch.set_num_threads(min(2, cores()))
    bf = bf16_ok()
    print(f"{machine()}, {torch.get_num_threads()} threads, bfloat16 {'native' if bf else 'not native (or CATDETECT_BF16=0)'}")
    net = feature_net(create_model('efficientnet_lite0', 2, pretrained=True, lin_ftrs=[], ps=0.).eval())
    kinds = [(e, False) for e in engines if _installed(e)] + [(e, True) for e in ('torch', 'openvino') if bf and _installed(e)]
    print(f"\n| input | batch | " + " | ".join(f"{e} {'bfloat16' if b else 'float32'}" for e, b in kinds) + " |")
    print("|---|---|" + "---|"*len(kinds))
    for size in a.sizes:
        onnx = export_onnx(net, (size, size))
        runs = {(e, b): compile_engine(net, (size, size), e, bf16=b, onnx=onnx) for e, b in kinds}
        for bs in a.batches:
            x = np.random.default_rng(0).normal(size=(bs, 3, size, size)).astype(np.float32)
            ref = runs[('torch', False)](x)[0]
            cells = [f"{ms_per_image(r, x):.2f} ms (±{np.abs(r(x)[0] - ref).max():.1g})" for r in runs.values()]
            print(f"| {size} px | {bs} | " + " | ".join(cells) + " |", flush=True)
