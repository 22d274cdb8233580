#!/usr/bin/env python
"""`bench/label_putback.py`'s bar set by the number of classes, through the whole of `train_classifier(dls)`: a photo
'mend' would leave out goes back as its own label where the head that never saw it gives that label at least
1/classes, in the frozen phase and in the refit after the last stages (`mend_label_issues`, which both call).
- `mend`: the default;
- `classes`: that bar.

    python bench/putback_train.py [--data ../shared/data] [--set tasks/flowers102-39] [--noise 0 0.2]
                                  [--putbacks mend classes] [--bf16 1 0] [--split-seeds 42] [--train-seeds 42]

Each run is a fresh process on `bench/tasks.py`'s split (`tasks.one_run`'s `default`); the last line, photos wrong and
seconds summed.
"""
import warnings
warnings.filterwarnings('ignore')
from machine import machine
from variants import compare, parser


def putback_run(path, noise, putback, bf16, split_seed, train_seed):
    "`tasks.one_run`'s `default`, with 'mend' as `putback` says."
    import catdetect.train as tr
    from tasks import one_run
    if putback == 'classes':
        real = tr.mend_label_issues
        def mend_label_issues(issues, probs, vocab, sure=tr.sure, seen=None):   # `_fit_head` looks it up at each call
            names = list(map(str, vocab))
            return [dict(r, trained_as=r['given']) if r['trained_as'] is None and float(p[names.index(r['given'])]) >= 1/len(vocab) else r
                    for r,p in zip(real(issues, probs, vocab, sure, seen), probs.float())]
        tr.mend_label_issues = mend_label_issues
    return one_run(path, noise, 'default', bf16, 1, split_seed, train_seed)


if __name__ == '__main__':
    a = parser(__doc__, 'putbacks', ['mend', 'classes']).parse_args()
    print(f"{machine()}; the photos 'mend' leaves out: {', '.join(a.putbacks)}")
    compare(putback_run, a, a.putbacks, 'put back')
