"Cleaning and deduplication: what is kept, what is set aside and why, nothing lost, no duplicate across the split."
import io, shutil
import numpy as np
import pytest
from PIL import Image
from catdetect.clean import clean_images, build_dataset, phash, hamming, near_duplicate_groups
from catdetect.manifest import read_manifest
from catdetect.testing import local_server
from catdetect.search import RateLimitError
from catdetect.testing import fake_photo, image_bytes, bomb_png


def photo(seed, size=(160, 120)): return fake_photo(seed, size)


@pytest.fixture()
def messy(tmp_path):
    root = tmp_path/'bears'
    for c in ('grizzly', 'black', 'teddy'): (root/c).mkdir(parents=True)
    for k in range(6):
        photo(k).save(root/'grizzly'/f'g{k}.jpg', quality=95)
        photo(100+k).save(root/'black'/f'b{k}.jpg', quality=95)
        photo(200+k).save(root/'teddy'/f't{k}.png')
    photo(0).resize((120, 90)).save(root/'grizzly'/'g0_resized.jpg', quality=70)        # near duplicates
    Image.open(root/'grizzly'/'g1.jpg').save(root/'grizzly'/'g1_reencoded.webp', quality=50)
    Image.open(root/'teddy'/'t0.png').convert('RGB').save(root/'teddy'/'t0.jpg', quality=80)   # same photo, other format
    shutil.copy(root/'black'/'b1.jpg', root/'black'/'b1_copy.jpg')                          # exact duplicate
    shutil.copy(root/'black'/'b2.jpg', root/'grizzly'/'b2_in_grizzly.jpg')                  # one photo, two labels
    photo(300).convert('CMYK').save(root/'black'/'cmyk.jpg')
    Image.fromarray(np.full((90, 120), 40000, np.uint16)).save(root/'teddy'/'sixteen_bit.png')
    photo(301).convert('RGBA').save(root/'teddy'/'alpha.png')
    photo(302, (1600, 1200)).save(root/'teddy'/'big.jpg')
    photo(303, (50, 40)).save(root/'grizzly'/'tiny.jpg')
    (root/'black'/'page.jpg').write_bytes(b'<!DOCTYPE html><html>gone</html>')
    (root/'black'/'cut.jpg').write_bytes(image_bytes(photo(304))[:500])
    (root/'teddy'/'bomb.png').write_bytes(bomb_png(10000))
    (root/'notes.txt').write_text('not an image, not touched')
    return root


def files(root): return sorted(p.relative_to(root).as_posix() for p in root.rglob('*') if p.is_file() and p.name not in ('manifest.csv', '.manifest.csv.lock', '.clean.lock'))


def test_phash_sees_copies_not_strangers():
    a = photo(1)
    b = Image.open(io.BytesIO(image_bytes(a.resize((80, 60)), quality=40)))
    assert hamming(phash(a), phash(b)) <= 6 < hamming(phash(a), phash(photo(2)))
    assert near_duplicate_groups([phash(a), phash(photo(2)), phash(b)]) == [[0, 2]]


def test_clean(messy):
    before = files(messy)
    s = clean_images(messy, max_size=400, progress=False)
    assert s['duplicates'] == 4 and s['rejected'] == 4 and s['converted'] == 4
    assert s['conflicts'] == [['black/b2.jpg', 'grizzly/b2_in_grizzly.jpg']]
    kept = [f for f in files(messy) if not f.startswith('.removed/') and f != 'notes.txt']
    assert len(kept) == s['kept'] == 6*3 - 1 + 4   # 18 photos minus b2 (conflict), plus the 4 converted ones
    for f in kept:
        im = Image.open(messy/f); im.load()
        assert im.mode == 'RGB' and max(im.size) <= 400 and min(im.size) >= 64
    # nothing lost: every original is still on disk, in place or under .removed/
    after = files(messy)
    for f in before: assert f in after or f'.removed/{f}' in after, f
    m = {r['file']: r for r in read_manifest(messy/'manifest.csv').values()}
    assert m['.removed/grizzly/g0_resized.jpg']['reason'] == 'near duplicate of grizzly/g0.jpg'
    assert m['.removed/black/b1_copy.jpg']['reason'] == 'same bytes as black/b1.jpg'   # equal sizes: the shorter name stays
    assert m['.removed/black/page.jpg']['reason'] == 'an HTML page, not an image'
    assert m['.removed/teddy/bomb.png']['reason'].startswith('too many pixels')
    assert m['.removed/grizzly/tiny.jpg']['reason'].startswith('too small (50x40')
    assert m['.removed/black/cut.jpg']['reason'].startswith('cannot be decoded')
    assert m['teddy/sixteen_bit.jpg']['status'] == 'ok' and 'converted from I;16' in m['teddy/sixteen_bit.jpg']['reason']
    assert all(len(r['sha256']) == 64 and int(r['width']) > 0 for r in m.values() if r['status'] == 'ok')
    assert (messy/'notes.txt').exists()


def test_clean_twice_changes_nothing(messy):
    clean_images(messy, progress=False)
    state = files(messy)
    s = clean_images(messy, progress=False)
    assert (s['duplicates'], s['rejected'], s['converted'], s['conflicts']) == (0, 0, 0, []) and files(messy) == state


def test_no_near_duplicate_pair_split_between_train_and_valid(messy):
    from catdetect.data import folder_dls
    clean_images(messy, progress=False)
    for seed in range(5):
        dls = folder_dls(messy, size=64, seed=seed, valid_pct=0.3)
        tr = [phash(f) for f in dls.train_ds.items]; va = [phash(f) for f in dls.valid_ds.items]
        assert min(hamming(a, b) for a in tr for b in va) > 6


def test_build_dataset_end_to_end(tmp_path):
    "Search (rate limited twice), download (with copies served under other URLs), clean; then resume."
    web = {}
    for i, c in enumerate(['grizzly', 'black']):
        for k in range(6): web[f'/{c}/{k}.jpg'] = (200, {'Content-Type': 'image/jpeg'}, image_bytes(photo(50*i+k)))
    web['/black/copy.jpg'] = (200, {'Content-Type': 'image/jpeg'}, image_bytes(photo(50).resize((120, 90)), quality=60))  # near dup of black/0
    web['/grizzly/gone.jpg'] = (404, {'Content-Type': 'text/html'}, b'no')
    calls, waits = [], []
    with local_server(web) as srv:
        def backend(term, max_images):
            calls.append(term)
            if len(calls) <= 2: raise RateLimitError('202 Ratelimit')
            return [dict(image=srv.url + p) for p in web if p.startswith('/' + term.split()[0])][:max_images]
        kw = dict(search_kw=dict(backend=backend, sleep=waits.append, use_cache=False), timeout=2, progress=False)
        s = build_dataset(tmp_path/'bears', {'grizzly': 'grizzly bear', 'black': ['black bear', 'black bear photo']}, **kw)
        hits = sum(srv.hits.values())
        build_dataset(tmp_path/'bears', {'grizzly': 'grizzly bear', 'black': ['black bear', 'black bear photo']}, **kw)
        rerun_hits = sum(srv.hits.values()) - hits
    assert len(waits) >= 2 and s['duplicates'] == 1 and s['kept'] == 12
    assert rerun_hits == 0   # everything was done: the 404 is not asked again, the rest is on disk
    m = read_manifest(tmp_path/'bears'/'manifest.csv')
    ok = [r for r in m.values() if r['status'] == 'ok']
    assert len(ok) == 12 and all(r['url'].startswith('http://127.0.0.1') and r['term'] for r in ok)
    assert {r['label'] for r in ok} == {'grizzly', 'black'}
    assert m[srv.url + '/grizzly/gone.jpg']['reason'] == 'HTTP 404'
