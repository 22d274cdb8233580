#!/usr/bin/env python
"""The learning rates of `fine_tune_tail`, chosen on validation photos alone: the validation loss after each epoch of
fine-tuning the last stages, for several rates, from the same fitted head.

    python bench/tail_lr.py [--data ../shared/data] [--sets tasks/flowers102-39 tasks/chest-xray] [--noise 0]
                            [--rates 3e-4 5e-4 "slice(1e-4,1e-3)" "slice(3e-5,1e-3)" "slice(1e-5,1e-3)"] [--epochs 4]

Each set is split as `bench/tasks.py` splits it (20% held out, never loaded here); the rest goes to `folder_dls`'s
split (20% validation). The loss is the one `fine_tune_tail` judges by: on the validation photos not flagged as
mislabelled. No early stopping here: every epoch is shown. A rate `slice(a, b)` is fastai's discriminative pair:
the last stages at `a`, the head at `b`.
"""
import argparse, copy, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from machine import machine


def losses(path, noise, rates, epochs):
    "The head's validation loss, and for each rate the validation loss after each epoch."
    import catdetect.train as tr
    from tasks import head_with_taps
    learn, _ = head_with_taps(path, noise)
    acts, vacts = learn.taps[:2]
    state, out = copy.deepcopy(learn.model.state_dict()), {}
    for name in rates:
        learn.model.load_state_dict(state)
        tl = tr.tail_learner(learn, tr.tap_dls(learn, acts, vacts, 32))
        with tl.no_bar(): start = float(tl.validate()[0])
        with tl.no_bar(), tl.no_logging(): tl.unfreeze(); tl.fit_one_cycle(epochs, eval(name), cbs=[tr.CPUMixedPrecision()])
        out[name] = [float(v[1]) for v in tl.recorder.values]
    return start, out


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--sets', nargs='+', default=['tasks/flowers102-39', 'tasks/chest-xray'])
    p.add_argument('--noise', type=float, default=0.0)
    p.add_argument('--rates', nargs='+', default=['3e-4', '5e-4', 'slice(1e-4,1e-3)', 'slice(3e-5,1e-3)', 'slice(1e-5,1e-3)'])
    p.add_argument('--epochs', type=int, default=4)
    a = p.parse_args()
    from catdetect.models import bf16_ok
    print(f"{machine()}; bfloat16 path: {'yes' if bf16_ok() else 'no (float32 only)'}")
    print(f"| set | head | {' | '.join(a.rates)} |\n|---|---|{'---|'*len(a.rates)}")
    for s in a.sets:
        start, out = losses(str(Path(a.data)/s), a.noise, a.rates, a.epochs)
        print(f"| {s} | {start:.3f} | " + ' | '.join(', '.join(f'{v:.3f}' for v in out[r]) for r in a.rates) + ' |', flush=True)
