#!/usr/bin/env python
"""Copy the notebooks into `_proc/` as the documentation site shows them, the way nbdev's own docs do:

- the raw front-matter cell (`---` ... `---`, e.g. `skip_exec: true`) is left out;
- cells marked `#| hide` are left out with their outputs (setup, imports for tests);
- nbdev's directive lines (`#| export`, `#| default_exp`, `#| notest`, `#| eval: false`, ...) are taken out of the
  code, and a cell left empty by that is left out;
- a markdown link to a notebook beside it (`[Benchmarks](benchmarks.ipynb)`, which works on GitHub) points to that
  notebook's page instead.

    python tools/docs_prep.py [nbs] [_proc]

Then `mkdocs build` (its `docs_dir` is `_proc`). Files that are not notebooks (images a notebook links to) are copied
as they are; the folders notebooks write while they run (data sets, models) are not."""
import json, re, shutil, sys
from pathlib import Path

DIRECTIVE = re.compile(r'^\s*#\|')
SKIP_DIRS = {'.ipynb_checkpoints', 'bears', 'models', '__pycache__'}


def is_frontmatter(cell): return cell['cell_type'] == 'raw' and ''.join(cell['source']).strip().startswith('---')


def hidden(cell): return cell['cell_type'] == 'code' and any(re.match(r'^\s*#\|\s*hide\s*$', l) for l in cell['source'])


def page_links(text, up):
    "Links to a notebook beside this one (`benchmarks.ipynb`) as the site's page address (`benchmarks/`, from a page `up`)."
    return re.sub(r'\]\((\w[\w.-]*)\.ipynb\)', lambda m: f"]({up}{m.group(1)}/)", text)


def doc_cell(cell, up=''):
    "The cell as the site shows it, or None to leave it out; `up`: the way from this page's address to the site's root."
    if is_frontmatter(cell) or hidden(cell): return None
    if cell['cell_type'] == 'markdown': return {**cell, 'source': [page_links(l, up) for l in cell['source']]}
    if cell['cell_type'] != 'code': return cell
    src = [l for l in cell['source'] if not DIRECTIVE.match(l)]
    if not ''.join(src).strip(): return None
    if src: src[-1] = src[-1].rstrip('\n')
    return {**cell, 'source': src}


def prep(src: Path, dest: Path) -> int:
    if dest.exists(): shutil.rmtree(dest)
    n = 0
    for f in sorted(src.rglob('*')):
        rel = f.relative_to(src)
        if any(p in SKIP_DIRS or p.startswith('.') for p in rel.parts[:-1]) or not f.is_file() or f.name.startswith('.'): continue
        if f.suffix == '.ipynb' and not f.name.endswith('.app.ipynb'):
            nb = json.loads(f.read_text(encoding='utf-8'))
            up = '' if f.name == 'index.ipynb' and len(rel.parts) == 1 else '../'   # index is the site's root, any other page a folder below
            nb['cells'] = [c for c in (doc_cell(c, up) for c in nb['cells']) if c is not None]
            (dest/rel).parent.mkdir(parents=True, exist_ok=True)
            (dest/rel).write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding='utf-8'); n += 1
        elif f.suffix.lower() in ('.png', '.jpg', '.jpeg', '.svg', '.gif', '.md'):
            (dest/rel).parent.mkdir(parents=True, exist_ok=True); shutil.copy(f, dest/rel)
    return n


if __name__ == '__main__':
    src, dest = Path(sys.argv[1] if len(sys.argv) > 1 else 'nbs'), Path(sys.argv[2] if len(sys.argv) > 2 else '_proc')
    print(f"{prep(src, dest)} notebooks prepared in {dest}")
