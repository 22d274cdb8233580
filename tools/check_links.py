#!/usr/bin/env python
"""Check every link of the built documentation site that points inside it (pages, images, scripts, styles).

    python tools/check_links.py [_site]

External links are counted, not fetched (the site is built and checked offline). Exits 1, listing them, if a
link points at a file the site does not have."""
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, unquote


class Links(HTMLParser):
    def __init__(self): super().__init__(); self.links = []
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ('href', 'src') and v: self.links.append(v)


def broken_links(site: Path):
    "(page, link) for each link inside the site whose target does not exist; and the number of external links."
    bad, external = [], 0
    for page in sorted(site.rglob('*.html')):
        p = Links(); p.feed(page.read_text(encoding='utf-8', errors='replace'))
        for link in p.links:
            u = urlsplit(link)
            if u.scheme or link.startswith(('//', '#', 'mailto:', 'data:', 'javascript:')):
                external += bool(u.scheme in ('http', 'https'))
                continue
            target = (site/unquote(u.path).lstrip('/')) if u.path.startswith('/') else (page.parent/unquote(u.path))
            if u.path and not (target.is_file() or (target/'index.html').is_file()): bad.append((page.relative_to(site), link))
    return bad, external


if __name__ == '__main__':
    site = Path(sys.argv[1] if len(sys.argv) > 1 else '_site')
    if not (site/'index.html').is_file(): sys.exit(f"No site at {site}: build it first (mkdocs build).")
    bad, external = broken_links(site)
    pages = len(list(site.rglob('*.html')))
    for page, link in bad: print(f"broken link in {page}: {link}")
    print(f"{pages} pages, {len(bad)} broken internal links, {external} external links (not fetched: offline)")
    sys.exit(1 if bad else 0)
