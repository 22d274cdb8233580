#!/usr/bin/env python
"""The frozen network on each inference engine: milliseconds per image for EfficientNet-Lite0's body and pooling
(what `body_features` runs while training, and most of a prediction), in one process, on this CPU.

    python bench/engines.py [--sizes 192 224 256] [--batches 1 16]

Rows: PyTorch float32 (channels-last) and bfloat16 (autocast), ONNX Runtime float32, OpenVINO float32 and, where
the CPU computes bfloat16 natively (`bf16_ok()`), OpenVINO bfloat16; each with its largest difference from PyTorch's
float32 features (values up to about 6). OpenVINO float32 runs a batch one photo per request on parallel streams
(`compile_engine`); the last column runs the whole batch in one request, as catdetect did before. bfloat16 rows are
skipped on CPUs without it (and with CATDETECT_BF16=0). Each figure is the best of three rounds.

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


def one_request(onnx, threads):
    "OpenVINO float32 with the whole batch in one request (latency hint, all threads): what `compile_engine` ran before streams."
    import openvino as ov
    core, compiled = ov.Core(), {}
    def run(xb):
        if xb.shape not in compiled:
            m = core.read_model(onnx, b''); m.reshape(list(xb.shape))
            cm = core.compile_model(m, 'CPU', {'INFERENCE_PRECISION_HINT': 'f32', 'INFERENCE_NUM_THREADS': threads, 'PERFORMANCE_HINT': 'LATENCY'})
            compiled[xb.shape] = cm, cm.create_infer_request()
        cm, req = compiled[xb.shape]
        res = req.infer({0: xb})
        return tuple(np.array(res[o]) for o in cm.outputs)
    return run


def ms_per_image(run, x, seconds=0.5, rounds=3):
    "The best of `rounds` timings of `seconds` each: a busy neighbour on a shared machine only ever slows a round down."
    run(x); run(x)
    best = float('inf')
    for _ in range(rounds):
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds: run(x); n += 1
        best = min(best, (time.perf_counter() - t0)/n/len(x)*1000)
    return best


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
    ov1 = _installed('openvino')
    print(f"\n| input | batch | " + " | ".join(f"{e} {'bfloat16' if b else 'float32'}" for e, b in kinds)
          + (" | openvino float32, one request" if ov1 else "") + " |")
    print("|---|---|" + "---|"*(len(kinds) + ov1))
    for size in a.sizes:
        onnx = export_onnx(net, (size, size))
        runs = {(e, b): compile_engine(net, (size, size), e, bf16=b, onnx=onnx) for e, b in kinds}
        if ov1: runs['one request'] = one_request(onnx, torch.get_num_threads())
        for bs in a.batches:
            x = np.random.default_rng(0).normal(size=(bs, 3, size, size)).astype(np.float32)
            ref = runs[('torch', False)](x)[0]
            cells = [f"{ms_per_image(r, x):.2f} ms (±{np.abs(r(x)[0] - ref).max():.1g})" for r in runs.values()]
            print(f"| {size} px | {bs} | " + " | ".join(cells) + " |", flush=True)
