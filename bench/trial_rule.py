#!/usr/bin/env python
"""How often `fine_tune_tail`'s head-conv trial (its rule until 2026-12-04) runs three draws and passes, by rule, simulated from measured draws.

    python bench/trial_rule.py [--runs 200000]

Each condition's six trial gains (nats a photo, `bench/tail_trial.py --trials 6`, AMD EPYC, 2 cores; the clean
flowers on both paths) are taken as a normal spread around their mean. A run of a rule draws the first gain; if it
clears the rule's bar, two more, and the trial passes when the mean of the three (else the one) reaches `trial_gain`
(0.013). The paired test's z is not simulated: this counts the gain alone. Rules: the first must gain half of
`trial_gain` before more draws ('half', the rule before), or lower the loss at all ('fell', beyond 1e-4 of rounding).

`--trial third` replays instead a trial not adopted yet: one epoch of the last stages on a third of the training
photos, judged by the expected error (`bench/tail_variants.py --variants third third third`, and `third16` on the
bfloat16 path: three draws a condition, so each spread is a rough one), against a bar of 0.006 (between the flowers'
least mean gain and the others' greatest, on both paths), two more draws where the first gains half of it.
"""
import argparse, numpy as np

DRAWS = {   # condition: six gains, seeds 0-5 (the train notebook's table; the float32 flowers measured on 2026-12-03)
    'chest X-rays, clean': [-0.0056, -0.0029, +0.0008, +0.0096, +0.0096, -0.0088],
    'chest X-rays, 20% flipped': [-0.0068, +0.0174, +0.0181, +0.0078, +0.0060, +0.0044],
    'cats/dogs, clean': [+0.0103, -0.0109, -0.0094, -0.0180, -0.0095, -0.0089],
    'cats/dogs, 20% flipped': [+0.0003, +0.0007, +0.0024, +0.0016, +0.0025, +0.0022],
    'bears, clean': [-0.0233, +0.0079, -0.0043, -0.0022, -0.0081, -0.0215],
    'bears, 20% flipped': [-0.0134, -0.0030, -0.0087, +0.0009, -0.0132, -0.0014],
    '39 flower species, clean (bfloat16)': [+0.0286, +0.0249, +0.0323, +0.0123, +0.0155, +0.0280],
    '39 flower species, clean (float32)': [+0.0088, +0.0113, +0.0224, +0.0271, +0.0371, +0.0174],
    '39 flower species, 20% flipped': [-0.0114, -0.0255, +0.0009, -0.0011, -0.0208, +0.0044],
}
THIRD = {   # expected error gained by one epoch of the last stages on a third of the photos, three draws (AMD EPYC, 2026-12-04)
    'flowers, split 42, clean (float32)': [0.0247, 0.0191, 0.0209], 'flowers, split 42, flipped (float32)': [0.0125, 0.0164, 0.0163],
    'flowers, split 1, clean (float32)': [0.0252, 0.0227, 0.0227], 'flowers, split 1, flipped (float32)': [0.0153, 0.0178, 0.0210],
    'flowers, split 2, clean (float32)': [0.0204, 0.0120, 0.0151], 'flowers, split 2, flipped (float32)': [0.0073, 0.0127, 0.0160],
    'chest X-rays, clean (float32)': [-0.0139, -0.0101, -0.0142], 'chest X-rays, flipped (float32)': [-0.0197, -0.0134, -0.0162],
    'cats/dogs, clean (float32)': [0.0010, 0.0000, 0.0017], 'cats/dogs, flipped (float32)': [0.0001, 0.0011, 0.0016],
    'bears, clean (float32)': [0.0056, -0.0002, 0.0046], 'bears, flipped (float32)': [-0.0052, -0.0011, -0.0052],
    'flowers, split 42, clean (bfloat16)': [0.0218, 0.0218, 0.0211], 'flowers, split 42, flipped (bfloat16)': [0.0237, 0.0138, 0.0227],
    'flowers, split 1, clean (bfloat16)': [0.0222, 0.0253, 0.0211], 'flowers, split 1, flipped (bfloat16)': [0.0151, 0.0149, 0.0156],
    'flowers, split 2, clean (bfloat16)': [0.0185, 0.0177, 0.0023], 'flowers, split 2, flipped (bfloat16)': [0.0114, 0.0082, 0.0086],
    'chest X-rays, clean (bfloat16)': [-0.0109, -0.0181, -0.0137], 'chest X-rays, flipped (bfloat16)': [-0.0140, -0.0138, -0.0036],
    'cats/dogs, clean (bfloat16)': [0.0009, -0.0002, 0.0018], 'cats/dogs, flipped (bfloat16)': [-0.0001, 0.0009, 0.0015],
    'bears, clean (bfloat16)': [0.0053, 0.0006, 0.0047], 'bears, flipped (bfloat16)': [-0.0003, 0.0016, 0.0045],
}
THIRD_GAIN = 0.006   # that trial's bar: between 0.0094 (the flowers' least mean gain, bfloat16) and 0.0035 (the others' greatest)
TRIAL_GAIN = 0.013   # the head-conv trial's `trial_gain` (`fine_tune_tail`'s default until 2026-12-04; now 0.005 on a sixth of the photos)
RULES = {'half': TRIAL_GAIN/2, 'fell': 1e-4}


def simulate(gains, bar, runs, gain=TRIAL_GAIN, seed=0):
    "The share of runs in which three draws run, and in which the trial passes."
    rng = np.random.default_rng(seed)
    g = rng.normal(np.mean(gains), np.std(gains, ddof=1), size=(runs, 3))
    three = g[:, 0] > bar
    mean = np.where(three, g.mean(1), g[:, 0])
    return three.mean(), (mean >= gain).mean()


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--runs', type=int, default=200_000)
    p.add_argument('--trial', choices=['headconv', 'third'], default='headconv', help="the head conv's trial (today's) or the third-of-the-photos one")
    a = p.parse_args()
    if a.trial == 'third':
        print('| condition | mean of three | three draws run | passes |\n|---|---|---|---|')
        for name, gains in THIRD.items():
            t, ok = simulate(gains, THIRD_GAIN/2, a.runs, gain=THIRD_GAIN)
            print(f'| {name} | {np.mean(gains):+.4f} | {t:.0%} | {ok:.0%} |')
    else:
        print('| condition | mean of six | ' + ' | '.join(f'{r}: three draws, passes' for r in RULES) + ' |\n|---|---|' + '---|'*len(RULES))
        for name, gains in DRAWS.items():
            cells = [simulate(gains, bar, a.runs) for bar in RULES.values()]
            print(f'| {name} | {np.mean(gains):+.4f} | ' + ' | '.join(f'{t:.0%}, {p:.0%}' for t, p in cells) + ' |')
