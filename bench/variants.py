"""The loop `bench/tail_loss.py` and `bench/refit_mend.py` share: every condition (labels, split, training seed, CPU
path) and each variant run in a fresh process, a table row each, then each variant's photos wrong and seconds summed."""
from pathlib import Path
from train import isolated


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
