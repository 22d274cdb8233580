"The documentation site's link check (tools/check_links.py) on a small site made here: it must find a broken link."
import subprocess, sys
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1]/'tools'/'check_links.py'


def site(tmp_path, link):
    (tmp_path/'a').mkdir(); (tmp_path/'img.png').write_bytes(b'x')
    (tmp_path/'index.html').write_text(f'<a href="a/">a</a> <img src="img.png"> <a href="https://example.org">x</a> <a href="{link}">?</a>')
    (tmp_path/'a'/'index.html').write_text('<a href="../index.html#top">home</a> <a href="#here">here</a>')
    return tmp_path


def run(d): return subprocess.run([sys.executable, str(TOOL), str(d)], capture_output=True, text=True)


def test_good_site_passes(tmp_path):
    out = run(site(tmp_path, 'a/index.html'))
    assert out.returncode == 0 and '2 pages, 0 broken internal links, 1 external links' in out.stdout, out.stdout


def test_broken_link_fails(tmp_path):
    out = run(site(tmp_path, 'missing/page.html'))
    assert out.returncode == 1 and 'broken link in index.html: missing/page.html' in out.stdout


def test_docs_prep_shows_notebooks_as_nbdev_docs_do(tmp_path):
    import json
    sys.path.insert(0, str(TOOL.parent))
    from docs_prep import prep
    def cell(t, src, **kw): return dict(cell_type=t, metadata={}, source=src.splitlines(True), **kw)
    nb = dict(nbformat=4, nbformat_minor=5, metadata={}, cells=[
        cell('raw', '---\nskip_exec: true\n---'), cell('markdown', '# Title'),
        cell('code', '#| default_exp core', outputs=[], execution_count=None),
        cell('code', '#| hide\nfrom fastcore.test import *', outputs=[], execution_count=None),
        cell('code', '#| export\ndef f(x): return x', outputs=[], execution_count=None),
        cell('code', 'f(1)', outputs=[dict(output_type='stream', name='stdout', text=['1'])], execution_count=1)])
    (tmp_path/'nbs'/'tutorials').mkdir(parents=True); (tmp_path/'nbs'/'tutorials'/'bears').mkdir()
    (tmp_path/'nbs'/'00_core.ipynb').write_text(json.dumps(nb)); (tmp_path/'nbs'/'tutorials'/'bears'/'x.jpg').write_bytes(b'x')
    assert prep(tmp_path/'nbs', tmp_path/'_proc') == 1
    out = json.loads((tmp_path/'_proc'/'00_core.ipynb').read_text())
    assert [''.join(c['source']) for c in out['cells']] == ['# Title', 'def f(x): return x', 'f(1)']
    assert out['cells'][-1]['outputs'][0]['text'] == ['1'] and not (tmp_path/'_proc'/'tutorials'/'bears').exists()


def test_links_between_notebooks_become_page_addresses(tmp_path):
    "`[x](benchmarks.ipynb)` works on GitHub; on the site it must reach the page: `benchmarks/` from the root, `../benchmarks/` below it."
    import json
    sys.path.insert(0, str(TOOL.parent))
    from docs_prep import prep
    md = dict(cell_type='markdown', metadata={}, source=['See [Benchmarks](benchmarks.ipynb) and [fastai](https://docs.fast.ai/x.ipynb).'])
    (tmp_path/'nbs').mkdir()
    for name in ('index', '00_core', 'benchmarks'):
        (tmp_path/'nbs'/f'{name}.ipynb').write_text(json.dumps(dict(nbformat=4, nbformat_minor=5, metadata={}, cells=[md])))
    prep(tmp_path/'nbs', tmp_path/'_proc')
    text = {n: json.loads((tmp_path/'_proc'/f'{n}.ipynb').read_text())['cells'][0]['source'][0] for n in ('index', '00_core')}
    assert text['index'] == 'See [Benchmarks](benchmarks/) and [fastai](https://docs.fast.ai/x.ipynb).'
    assert text['00_core'] == 'See [Benchmarks](../benchmarks/) and [fastai](https://docs.fast.ai/x.ipynb).'
