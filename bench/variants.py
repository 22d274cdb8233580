"""The loop `bench/tail_loss.py` and `bench/refit_mend.py` share: every condition (labels, split, training seed, CPU
path) and each variant run in a fresh process, a table row each, then each variant's photos wrong and seconds summed."""
import argparse
from pathlib import Path
from train import isolated


def parser(doc:str, # The script's docstring: its first paragraph describes it
           name:str, # The option naming the variants (e.g. 'losses')
           default:list) -> argparse.ArgumentParser: # The variants run without it
    "An argument parser with the options every variant script takes (`--data`, `--set`, `--noise`, `--bf16`, `--split-seeds`, `--train-seeds`) and `--<name>`."
    p = argparse.ArgumentParser(description=doc.split('\n\n')[0])
    p.add_argument('--data', default=str(Path(__file__).resolve().parents[1].parent/'shared'/'data'))
    p.add_argument('--set', default='tasks/flowers102-39')
    p.add_argument('--noise', nargs='+', type=float, default=[0., 0.2])
    p.add_argument(f'--{name}', nargs='+', default=default)
    p.add_argument('--bf16', nargs='+', type=int, default=[1, 0])
    p.add_argument('--split-seeds', nargs='+', type=int, default=[42])
    p.add_argument('--train-seeds', nargs='+', type=int, default=[42])
    return p


def compare(run, # Called as `run(path, noise, variant, bf16, split_seed, train_seed)` in a fresh process: `tasks.one_run`'s dict
            a, # Parsed arguments: `data`, `set`, `noise`, `split_seeds`, `train_seeds`, `bf16`
            variants:list, # What `run` compares
            name:str): # The variants' column
    "Print a row for each condition of `a` and each of `variants`, run by `run`, and the last line, each variant's photos wrong and seconds summed."
    print(f"| labels | split | training seed | path | {name} | held-out error | wall time | peak memory | chose |\n|---|---|---|---|---|---|---|---|---|")
    wrong,secs = {v: 0 for v in variants},{v: 0. for v in variants}
    for noise in a.noise:
        for split in a.split_seeds:
            for ts in a.train_seeds:
                for bf16 in a.bf16:
                    for v in variants:
                        r = isolated(run, str(Path(a.data)/a.set), noise, v, bf16, split, ts)
                        wrong[v] += round(r['error']*r['n_held']); secs[v] += r['seconds']
                        print(f"| {'clean' if not noise else f'{noise:.0%} flipped'} | {split} | {ts} | {'bfloat16' if bf16 else 'float32'} | {v} | "
                              f"{r['error']:.2%} of {r['n_held']} | {r['seconds']:.1f} s | {r['peak_mb']:,.0f} MB | {r['chose']} |", flush=True)
    print('summed: ' + ', '.join(f"{v} {wrong[v]} photos wrong in {secs[v]:.0f} s" for v in variants))
