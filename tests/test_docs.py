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
