#!/usr/bin/env python
"""Can predictions run in less than float32? bfloat16 (OpenVINO, where the CPU has it) and int8 against OpenVINO
float32, on the validation photos of one data set. The bar (issue 12): every label kept, probabilities within 1e-3
(bfloat16) or 0.02 (int8).

int8 three ways, each calibrated on training photos: ONNX Runtime's static quantization (QDQ; run on OpenVINO and on
ONNX Runtime); OpenVINO's own post-training quantization (NNCF), the head left in float32; and NNCF with accuracy
control, which gives layers back to float32 until every probability on 150 other training photos is within
`--tolerance` of float32's. The NNCF rows need `pip install nncf` (skipped without it).

    python bench/precision.py [--data ../shared/data/dev/bears] [--calibration 128] [--tolerance 0.01]
"""
import argparse, importlib.util, tempfile, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
import numpy as np, torch
from catdetect.data import folder_dls
from catdetect.train import train_classifier
from catdetect.predict import Predictor
from catdetect.models import bf16_ok
from catdetect.engines import compile_engine, run_in_streams, openvino_core
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


def nncf_int8(f32, shape, cal, ctl=None, tolerance=0.01):
    """OpenVINO's post-training int8 quantization (NNCF) of the ONNX file `f32`, calibrated on `cal`, the head
    (`logits`) left in float32; with `ctl` (more training photos), layers go back to float32 until each of their
    probabilities is within `tolerance` of float32's."""
    import nncf
    core = openvino_core()
    def model():
        m = core.read_model(str(f32)); m.reshape(list(shape)); return m
    kw = dict(preset=nncf.QuantizationPreset.MIXED, subset_size=len(cal), ignored_scope=nncf.IgnoredScope(names=['logits']))
    cal = nncf.Dataset([cal[i:i+1] for i in range(len(cal))])
    if ctl is None: return nncf.quantize(model(), cal, **kw)
    ref_cm = core.compile_model(model(), 'CPU', {'INFERENCE_PRECISION_HINT': 'f32'})
    def probs(cm, xs):
        r = cm.create_infer_request()
        return torch.from_numpy(np.concatenate([r.infer({0: x})[cm.outputs[1]] for x in xs])).softmax(1)
    ref = probs(ref_cm, [ctl[i:i+1] for i in range(len(ctl))])
    def validate(cm, items):   # items: (index, photo); the metric: 1 - the largest probability difference
        items = list(items)
        d = (probs(cm, [x for _, x in items]) - ref[[i for i, _ in items]]).abs().max(1).values
        return 1 - float(d.max()), [1 - float(v) for v in d]
    val = nncf.Dataset([(i, ctl[i:i+1]) for i in range(len(ctl))], lambda t: t[1])
    return nncf.quantize_with_accuracy_control(model(), cal, val, validate, max_drop=tolerance,
                                               drop_type=nncf.DropType.ABSOLUTE, **kw)


def ov_runner(model, threads):
    "An OpenVINO model (as NNCF gives it) run as `compile_engine` runs float32: a photo alone on all threads, a batch one photo per stream."
    import openvino as ov
    core, compiled = openvino_core(), {}
    def run(xb):
        streams = threads if len(xb) >= threads > 1 else 1
        if streams not in compiled:
            hint = {'PERFORMANCE_HINT': 'THROUGHPUT', 'NUM_STREAMS': streams} if streams > 1 else {'PERFORMANCE_HINT': 'LATENCY'}
            cm = core.compile_model(model, 'CPU', {'INFERENCE_PRECISION_HINT': 'f32', 'INFERENCE_NUM_THREADS': threads, **hint})
            compiled[streams] = cm, ov.AsyncInferQueue(cm, streams)
        return run_in_streams(*compiled[streams], np.ascontiguousarray(xb))
    return run


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'/'dev'/'bears'))
    p.add_argument('--calibration', type=int, default=128, help='training photos to calibrate int8 on')
    p.add_argument('--tolerance', type=float, default=0.01, help="NNCF's accuracy control: largest probability difference on its photos")
    a = p.parse_args()
    torch.set_num_threads(min(2, cores()))
    dls = folder_dls(a.data)
    pred = Predictor.from_learner(train_classifier(dls, progress=False))
    d = Path(tempfile.mkdtemp()); f32 = d/'f32.onnx'; f32.write_bytes(pred.to_onnx())
    net, size = pred.net, pred.input_size[::-1]   # photos in as bytes, as `Predictor` runs it
    train = np.stack([pred.preprocess(f) for f in dls.train_ds.items[:a.calibration + 150]])
    q8 = int8_onnx(f32, train[:a.calibration], d/'int8.onnx')
    runs = {'OpenVINO float32': compile_engine(net, size, 'openvino', onnx=f32)}
    if bf16_ok(): runs['OpenVINO bfloat16'] = compile_engine(net, size, 'openvino', bf16=True, onnx=f32)
    runs['OpenVINO int8'] = compile_engine(net, size, 'openvino', onnx=q8)
    runs['ONNX Runtime int8'] = compile_engine(net, size, 'onnxruntime', onnx=q8)
    if importlib.util.find_spec('nncf'):
        shape, threads = (1, *train.shape[1:]), torch.get_num_threads()
        runs['OpenVINO int8 (NNCF, head float32)'] = ov_runner(nncf_int8(f32, shape, train[:a.calibration]), threads)
        if len(train) > a.calibration:
            runs[f'same, accuracy control to {a.tolerance:g}'] = ov_runner(
                nncf_int8(f32, shape, train[:a.calibration], train[a.calibration:], a.tolerance), threads)
    xs = np.stack([pred.preprocess(f) for f in dls.valid_ds.items])
    ref = torch.from_numpy(runs['OpenVINO float32'](xs)[1]).softmax(1)
    print(machine())
    print(f"{len(xs)} validation photos of {a.data}; bfloat16 {'native' if bf16_ok() else 'not native: not measured'}\n")
    print(f"{len(train[a.calibration:])} other training photos for NNCF's accuracy control; {torch.get_num_threads()} threads; "
          "OpenVINO runs a batch of 16 one photo per stream (bfloat16 in one request), ONNX Runtime in one request\n")
    print("| run | ms/photo (batch 1) | ms/photo (batch 16) | labels changed | max. probability difference | photos beyond 1e-3 | beyond 0.02 |\n|---|---|---|---|---|---|---|")
    for k, r in runs.items():
        q = torch.from_numpy(r(xs)[1]).softmax(1)
        diff = (q - ref).abs().max(1).values
        print(f"| {k} | {ms_per_image(r, xs[:1]):.2f} | {ms_per_image(r, xs[:16]):.2f} | {int((q.argmax(1) != ref.argmax(1)).sum())} | "
              f"{float(diff.max()):.2g} | {int((diff > 1e-3).sum())} | {int((diff > 0.02).sum())} |", flush=True)
