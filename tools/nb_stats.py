"""Shape figures of a folder of nbdev notebooks: lines per code cell, exported cells, definitions per exported cell.

    python tools/nb_stats.py nbs            # catdetect's notebooks (tutorials and index left out)

Counted as issue 11 counts them: a code cell's lines are its non-blank source lines (directives included);
an exported cell is one with `#| export` or `#| exports`; its definitions are top-level `def`/`class` statements."""
import ast, json, re, statistics, sys
from pathlib import Path

def cells(folder):
    "Code cells of every numbered notebook in `folder` (not `index`, not subfolders)."
    for p in sorted(Path(folder).glob('[0-9]*.ipynb')):
        for c in json.loads(p.read_text())['cells']:
            if c['cell_type'] == 'code': yield p.name, ''.join(c['source'])

def n_lines(src): return sum(1 for l in src.splitlines() if l.strip())
def is_exported(src): return bool(re.search(r'^#\|\s*export', src, re.M))

def n_defs(src):
    try: tree = ast.parse('\n'.join(l for l in src.splitlines() if not l.lstrip().startswith(('%', '!'))))
    except SyntaxError: return 0
    return sum(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in tree.body)

def p90(xs): return statistics.quantiles(xs, n=10)[-1] if len(xs) > 1 else (xs[0] if xs else 0)

def stats(folder):
    cs = list(cells(folder))
    lines = [n_lines(s) for _, s in cs]
    exp = [s for _, s in cs if is_exported(s)]
    el = [n_lines(s) for s in exp]
    multi = [s for s in exp if n_defs(s) > 1]
    src = '\n'.join(s for _, s in cs)
    return dict(code_cells=len(cs), median_lines=statistics.median(lines), p90_lines=round(p90(lines), 1),
                exported=len(exp), exported_median=statistics.median(el), exported_max=max(el),
                multi_def_pct=round(100 * len(multi) / len(exp), 1),
                patch=len(re.findall(r'^@patch', src, re.M)), show_doc=len(re.findall(r'^show_doc\(', src, re.M)))

if __name__ == '__main__':
    for k, v in stats(sys.argv[1] if len(sys.argv) > 1 else 'nbs').items(): print(f'{k:16} {v}')
