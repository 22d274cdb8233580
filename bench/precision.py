#!/usr/bin/env python
"""Can predictions run in less than float32? bfloat16 (OpenVINO, where the CPU has it) and int8 (ONNX Runtime's static
quantization, QDQ, calibrated on training photos; run on OpenVINO and on ONNX Runtime), against OpenVINO float32,
on the validation photos of one data set. The bar (issue 12): every label kept, probabilities within 1e-3
(bfloat16) or 0.02 (int8).

    python bench/precision.py [--data ../shared/data/dev/bears] [--calibration 128]
"""
import argparse, tempfile, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
import numpy as np, torch
from catdetect.data import folder_dls
from catdetect.train import train_classifier
from catdetect.predict import Predictor
from catdetect.models import compile_engine, bf16_ok
from machine import cores, machine


def ms_per_image(run, x, seconds=1.5):
    run(x); n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds: run(x); n += 1
    return (time.perf_counter() - t0)/n/len(x)*1000


def int8_onnx(f32, xs, out):
    from onnxruntime.quantization import quantize_static, CalibrationDataReader, QuantFormat, QuantType
    from onnxruntime.quantization.shape_inference import quant_pre_process
    class Reader(CalibrationDataReader):
        def __init__(self): self.it = iter([{'image': xs[i:i+8]} for i in range(0, len(xs), 8)])
        def get_next(self): return next(self.it, None)
    pre = out.with_name('pre.onnx')
    quant_pre_process(str(f32), str(pre))
    quantize_static(str(pre), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    return out


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'/'dev'/'bears'))
    p.add_argument('--calibration', type=int, default=128, help='training photos to calibrate int8 on')
    a = p.parse_args()
    torch.set_num_threads(min(2, cores()))
    dls = folder_dls(a.data)
    pred = Predictor.from_learner(train_classifier(dls, progress=False))
    d = Path(tempfile.mkdtemp()); f32 = d/'f32.onnx'; f32.write_bytes(pred.to_onnx())
    net, size = pred.net, pred.input_size[::-1]   # photos in as bytes, as `Predictor` runs it
    q8 = int8_onnx(f32, np.stack([pred.preprocess(f) for f in dls.train_ds.items[:a.calibration]]), d/'int8.onnx')
    runs = {'OpenVINO float32': compile_engine(net, size, 'openvino', onnx=f32)}
    if bf16_ok(): runs['OpenVINO bfloat16'] = compile_engine(net, size, 'openvino', bf16=True, onnx=f32)
    runs['OpenVINO int8'] = compile_engine(net, size, 'openvino', onnx=q8)
    runs['ONNX Runtime int8'] = compile_engine(net, size, 'onnxruntime', onnx=q8)
    xs = np.stack([pred.preprocess(f) for f in dls.valid_ds.items])
    ref = torch.from_numpy(runs['OpenVINO float32'](xs)[1]).softmax(1)
    print(machine())
    print(f"{len(xs)} validation photos of {a.data}; bfloat16 {'native' if bf16_ok() else 'not native: not measured'}\n")
    print("| run | ms/photo (batch 1) | labels changed | max. probability difference | photos beyond 1e-3 |\n|---|---|---|---|---|")
    for k, r in runs.items():
        q = torch.from_numpy(r(xs)[1]).softmax(1)
        diff = (q - ref).abs().max(1).values
        print(f"| {k} | {ms_per_image(r, xs[:1]):.2f} | {int((q.argmax(1) != ref.argmax(1)).sum())} | {float(diff.max()):.2g} | {int((diff > 1e-3).sum())} |", flush=True)
