#!/usr/bin/env python
"""The frozen network on each inference engine: milliseconds per image for EfficientNet-Lite0's body and pooling
(what `body_features` runs while training, and most of a prediction), in one process, on this CPU.

    python bench/engines.py [--sizes 192 224 256] [--batches 1 16] [--layers]

Rows: PyTorch float32 (channels-last) and bfloat16 (autocast), ONNX Runtime float32, OpenVINO float32 and, where
the CPU computes bfloat16 natively (`bf16_ok()`), OpenVINO bfloat16; each with its largest difference from PyTorch's
float32 features (values up to about 6). OpenVINO float32 runs a batch one photo per request on parallel streams
(`compile_engine`); the last column runs the whole batch in one request, as catdetect did before. bfloat16 rows are
skipped on CPUs without it (and with CATDETECT_BF16=0). Each figure is the best of three rounds.

`--layers` adds where the time goes (OpenVINO float32, one thread, one photo, 256 px): the network's multiply-adds by
kind of layer, each kind's share of the time and the rate it runs at, against the rate of a dense 3x3 convolution on
this core (the most this core does in float32): the floor under the network's time on this CPU.

A CPU without AVX-512 or bfloat16 (most laptops), on one that has them: prefix the command with
`ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2`, which holds OpenVINO and PyTorch to their AVX2 kernels (ONNX
Runtime has no such switch); the first line printed says so (`machine.py`).
"""
import argparse, collections, time, warnings
warnings.filterwarnings('ignore')
import numpy as np, torch
from torch import nn
from catdetect.models import create_model, bf16_ok
from catdetect.engines import feature_net, compile_engine, export_onnx, engines
from catdetect.engines import engine_installed, openvino_core
from machine import cores, machine


def one_request(onnx, threads):
    "OpenVINO float32 with the whole batch in one request (latency hint, all threads): what `compile_engine` ran before streams."
    core, compiled = openvino_core(), {}
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


def multiply_adds(net, size):
    "The multiply-adds of one photo through `net` at `size` px, by kind of layer."
    macs = collections.Counter()
    def count(m, i, o):
        if isinstance(m, nn.Conv2d):
            kind = 'depthwise conv' if m.groups > 1 else '1x1 conv' if m.kernel_size == (1, 1) else 'full conv'
            macs[kind] += o.numel()*m.in_channels//m.groups*m.kernel_size[0]*m.kernel_size[1]
        elif isinstance(m, nn.Linear): macs['linear'] += o.numel()*m.in_features
    hooks = [m.register_forward_hook(count) for m in net.modules()]
    with torch.no_grad(): net(torch.zeros(1, 3, size, size))
    for h in hooks: h.remove()
    return macs


def _one_thread(model, shape, perf=False):
    model.reshape(list(shape))
    cm = openvino_core().compile_model(model, 'CPU', {'INFERENCE_PRECISION_HINT': 'f32', 'INFERENCE_NUM_THREADS': 1,
                                          'PERFORMANCE_HINT': 'LATENCY', 'PERF_COUNT': perf})
    return cm.create_infer_request()


def dense_rate(seconds=0.5, rounds=3):
    "Multiply-adds per second of a dense 3x3 convolution (128 channels, 64x64) on one thread: this core's float32 peak, near enough."
    import openvino as ov, openvino.opset13 as ops
    c, hw = 128, 64
    x = ops.parameter([1, c, hw, hw], np.float32)
    w = ops.constant(np.random.default_rng(0).normal(size=(c, c, 3, 3)).astype(np.float32))
    req = _one_thread(ov.Model([ops.convolution(x, w, [1, 1], [1, 1], [1, 1], [1, 1])], [x]), (1, c, hw, hw))
    ms = ms_per_image(lambda a: req.infer({0: a}), np.ones((1, c, hw, hw), np.float32), seconds, rounds)
    return c*c*9*hw*hw/ms/1e6


def layer_times(onnx, size, n=50):
    "Milliseconds per photo by kind of layer (OpenVINO float32, one thread, one photo) and the wall time of a photo."
    req = _one_thread(openvino_core().read_model(onnx, b''), (1, 3, size, size), perf=True)
    x = np.random.default_rng(0).normal(size=(1, 3, size, size)).astype(np.float32)
    for _ in range(10): req.infer({0: x})
    kinds, t0 = collections.Counter(), time.perf_counter()
    for _ in range(n):
        req.infer({0: x})
        for p in req.get_profiling_info():
            kinds['depthwise conv' if p.node_type == 'GroupConvolution' else '1x1 conv' if '1x1' in p.exec_type else
                  'full conv' if p.node_type == 'Convolution' else 'other'] += p.real_time.total_seconds()*1000/n
    return kinds, (time.perf_counter() - t0)*1000/n


def print_layers(net, size=256):
    macs, (ms, wall) = multiply_adds(net, size), layer_times(export_onnx(net, (size, size)), size)
    peak, total = dense_rate(), sum(macs.values())
    print(f"\n{total/1e9:.3f} G multiply-adds per {size} px photo; OpenVINO float32, one thread, one photo, by kind of layer "
          f"(wall {wall:.2f} ms with profiling on); a dense 3x3 convolution on this core: {peak:.1f} G/s\n")
    print("| layers | multiply-adds | ms | G/s | at the dense rate, ms |\n|---|---|---|---|---|")
    for k in sorted(ms, key=ms.get, reverse=True):
        print(f"| {k} | {macs[k]/total:.1%} | {ms[k]:.2f} | {macs[k]/ms[k]/1e6 if macs[k] else float('nan'):.1f} | {macs[k]/peak/1e6:.2f} |")
    print(f"| all | 100% | {sum(ms.values()):.2f} | {total/sum(ms.values())/1e6:.1f} | {total/peak/1e6:.2f} |")


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--sizes', nargs='+', type=int, default=[192, 224, 256])
    p.add_argument('--batches', nargs='+', type=int, default=[1, 16])
    p.add_argument('--layers', action='store_true', help='also where the time goes, by kind of layer (needs OpenVINO)')
    a = p.parse_args()
    torch.set_num_threads(min(2, cores()))
    bf = bf16_ok()
    print(f"{machine()}, {torch.get_num_threads()} threads, bfloat16 {'native' if bf else 'not native (or CATDETECT_BF16=0)'}")
    net = feature_net(create_model('efficientnet_lite0', 2, pretrained=True, lin_ftrs=[], ps=0.).eval())
    kinds = [(e, False) for e in engines if engine_installed(e)] + [(e, True) for e in ('torch', 'openvino') if bf and engine_installed(e)]
    ov1 = engine_installed('openvino')
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
    if a.layers: print_layers(net)
