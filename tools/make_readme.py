#!/usr/bin/env python
"""Write README.md from nbs/index.ipynb, as `nbdev-readme` would (it needs Quarto, which can't be installed here).

Markdown cells are copied; code cells become ```python blocks, followed by their text output; cells marked
`#| hide` are left out and `#|` directive lines are dropped; a link to another notebook (`benchmarks.ipynb`) is
made relative to the repository root. Run it after editing nbs/index.ipynb; .ci/run
fails when README.md differs from what this writes.
"""
import re, sys
from pathlib import Path
from fastcore.nbio import read_nb

root = Path(__file__).resolve().parent.parent


def directives(src): return [l[3:].strip() for l in src.splitlines() if l.startswith('#|')]


def text_outputs(cell):
    for o in cell.get('outputs', []):
        if o.get('output_type') == 'stream': yield ''.join(o['text'])
        elif 'data' in o and 'text/plain' in o['data'] and not any(k.startswith('image/') for k in o['data']):
            yield ''.join(o['data']['text/plain'])


def to_markdown(nb):
    parts = []
    for c in nb.cells:
        src = ''.join(c.source) if isinstance(c.source, list) else c.source
        if any(d.startswith('hide') for d in directives(src)): continue
        if c.cell_type == 'markdown': parts.append(re.sub(r'\]\(([\w./-]+\.ipynb)\)', r'](nbs/\1)', src.strip()))   # the docs' links, from the README's folder
        elif c.cell_type == 'code':
            code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
            if code: parts.append(f'```python\n{code}\n```')
            for out in text_outputs(c): parts.append(f'```\n{out.rstrip()}\n```')
    return '<!-- Generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file. -->\n\n' + '\n\n'.join(parts) + '\n'


if __name__ == '__main__':
    md = to_markdown(read_nb(root/'nbs'/'index.ipynb'))
    out = root/'README.md'
    changed = not out.exists() or out.read_text() != md
    out.write_text(md)
    print('README.md ' + ('updated' if changed else 'unchanged'))
    sys.exit(0)
