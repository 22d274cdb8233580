"Search through fake backends: retries, backoff (no real sleeping), cache, offline errors."
import random
import pytest
import ddgs, ddgs.exceptions as dx
from catdetect.core import OfflineError
from catdetect.search import search_images, search_results, search_classes, ddgs_search, backoff_delay, RateLimitError


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path, monkeypatch):
    "Each test starts with an empty search cache."
    monkeypatch.setenv('CATDETECT_CACHE', str(tmp_path))


def backend(fails=0, n=50, exc=RateLimitError):
    calls = []
    def f(term, max_images):
        calls.append((term, max_images))
        if len(calls) <= fails: raise exc('202 Ratelimit')
        return [dict(image=f'https://img.example/{term}/{i}.jpg', title=str(i)) for i in range(min(n, max_images))] + \
               [dict(image='data:image/png;base64,xx'), dict(image=f'https://img.example/{term}/0.jpg')]  # junk and a repeat
    f.calls = calls
    return f


def test_returns_urls_like_the_course(tmp_path):
    urls = search_images('grizzly bear', 10, backend=backend(), sleep=lambda s: None)
    assert list(urls) == [f'https://img.example/grizzly bear/{i}.jpg' for i in range(10)]


def test_retries_with_exponential_backoff_and_jitter():
    waits, b = [], backend(fails=4)
    urls = search_images('black bear', 5, backend=b, sleep=waits.append, base_delay=2, max_delay=10)
    assert len(urls) == 5 and len(b.calls) == 5 and len(waits) == 4
    for attempt, w in enumerate(waits):   # 2, 4, 8, 10 (capped), each times a jitter factor in [0.5, 1.5)
        nominal = min(10, 2 * 2**attempt)
        assert 0.5*nominal <= w < 1.5*nominal
    assert len({round(w/min(10, 2*2**a), 6) for a, w in enumerate(waits)}) > 1   # jitter differs between retries


def test_gives_up_with_advice():
    waits = []
    with pytest.raises(RateLimitError, match='still rate limited after 3 retries') as e:
        search_images('teddy bear', 5, backend=backend(fails=99), sleep=waits.append, retries=3)
    assert 'Wait a few minutes' in e.value.remedy and len(waits) == 3


def test_cache_means_one_search_per_term():
    b = backend()
    a = search_images('panda', 20, backend=b)
    assert search_images('panda', 10, backend=b) == a[:10] and len(b.calls) == 1
    search_images('panda', 40, backend=b)          # wants more than was asked: asks again
    assert len(b.calls) == 2
    search_images('panda', 5, backend=b, use_cache=False)
    assert len(b.calls) == 3


def test_search_classes_pauses_between_terms():
    pauses = []
    found = search_classes({'grizzly': ['grizzly', 'grizzly photo'], 'black': 'black bear'}, max_images=3,
                           backend=backend(), sleep=pauses.append, pause=2.5)
    assert [len(v) for v in found.values()] == [6, 3] and found['black'][0][1] == 'black bear'
    assert pauses == [2.5, 2.5]


def test_backoff_delay_is_seedable():
    assert backoff_delay(3, rng=random.Random(1)) == backoff_delay(3, rng=random.Random(1))


@pytest.mark.parametrize('exc,expected', [
    (dx.RatelimitException('202 Ratelimit'), RateLimitError),
    (dx.TimeoutException('timed out'), RateLimitError),
    (dx.DDGSException("DNSError: error resolving DNS"), OfflineError),
    (dx.DDGSException("https://duckduckgo.com 403 Forbidden"), RateLimitError),
])
def test_ddgs_errors_are_translated(monkeypatch, exc, expected):
    class FakeDDGS:
        def images(self, *a, **k): raise exc
    monkeypatch.setattr(ddgs, 'DDGS', FakeDDGS)
    with pytest.raises(expected) as e:
        ddgs_search('grizzly bear', 5)
    if expected is OfflineError: assert 'folder' in e.value.remedy


def test_ddgs_no_results_is_empty(monkeypatch):
    class FakeDDGS:
        def images(self, *a, **k): raise dx.DDGSException('No results found.')
    monkeypatch.setattr(ddgs, 'DDGS', FakeDDGS)
    assert ddgs_search('qwxzv', 5) == []


def test_offline_setting_stops_the_default_backend():
    with pytest.raises(OfflineError, match='CATDETECT_OFFLINE'):
        search_images('grizzly bear', 5)


@pytest.mark.timeout(10)
@pytest.mark.parametrize('damage', ['garbage', 'wrong shape', 'fifo', 'dev-zero'])
def test_a_damaged_cache_file_means_search_again(damage, tmp_path):
    import os
    from catdetect.search import _cache_file
    b = backend()
    search_images('otter', 5, backend=b)
    cf = _cache_file(b, 'otter'); cf.unlink()
    {'garbage': lambda: cf.write_bytes(b'\x00{not json'), 'wrong shape': lambda: cf.write_text('{"results": 5, "max_images": "x"}'),
     'fifo': lambda: os.mkfifo(cf), 'dev-zero': lambda: cf.symlink_to('/dev/zero')}[damage]()
    assert len(search_images('otter', 5, backend=b, use_cache=True)) == 5 and len(b.calls) == 2
