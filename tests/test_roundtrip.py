"""Every file catdetect writes, it reads back as written: property tests (hypothesis) over names and values people
and the web produce: control characters, quotes, commas, formula prefixes, non-UTF-8 bytes in file names."""
import json, os, tempfile
from pathlib import Path
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from catdetect.core import append_csv_rows, read_csv_rows, csv_bytes, atomic_write
from catdetect.manifest import Manifest, manifest_fields

# text a file name or a cell can hold: any character but NUL, with the awkward ones made likely
awkward = st.sampled_from(['\r', '\n', '\r\n', '"', ',', "'", '=', '+', '-', '@', '\t', ' ', 'é', '猫', '\u2028'])
text = st.lists(st.one_of(awkward, st.characters(exclude_characters='\x00', exclude_categories=['Cs'])), max_size=30).map(''.join)
# a file name from a disk: any bytes but '/' and NUL, as Python carries them (surrogateescape)
fs_name = st.binary(min_size=1, max_size=30).filter(lambda b: b'/' not in b and b'\x00' not in b).map(os.fsdecode)
cell = st.one_of(text, fs_name)
common = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@common
@given(st.lists(st.fixed_dictionaries({'file': cell, 'label': cell, 'note': cell}), max_size=8))
def test_csv_rows_round_trip_appended_and_whole(rows):
    with tempfile.TemporaryDirectory() as tmp:   # one per example: nothing left behind
        d = Path(tmp)
        append_csv_rows(d/'a.csv', ['file', 'label', 'note'], rows)
        assert read_csv_rows(d/'a.csv', fields=['file', 'label', 'note']) == rows
        assert read_csv_rows(atomic_write(d/'w.csv', csv_bytes(['file', 'label', 'note'], rows))) == rows


@common
@given(st.lists(st.fixed_dictionaries({'file': cell, 'label': cell}), min_size=1, max_size=6), st.integers(1, 200))
def test_a_csv_torn_anywhere_keeps_its_whole_rows_and_takes_the_next(rows, cut):
    with tempfile.TemporaryDirectory() as tmp:   # one per example: nothing left behind
        d = Path(tmp)
        append_csv_rows(d/'a.csv', ['file', 'label'], rows)
        data = (d/'a.csv').read_bytes()
        (d/'a.csv').write_bytes(data[:max(0, len(data) - cut)])
        append_csv_rows(d/'a.csv', ['file', 'label'], [dict(file='next.jpg', label='cat')])
        got = read_csv_rows(d/'a.csv')
        assert got[-1] == dict(file='next.jpg', label='cat') and got[:-1] == rows[:len(got)-1]


manifest_row = st.fixed_dictionaries({'url': st.one_of(text, fs_name).filter(bool), 'file': cell, 'label': cell, 'term': cell,
                                      'status': st.sampled_from(['ok', 'failed', 'rejected', 'duplicate', 'removed']), 'reason': cell})


@common
@given(st.lists(manifest_row, max_size=8, unique_by=lambda r: r['url']))
def test_manifest_rows_round_trip_logged_and_saved(rows):
    with tempfile.TemporaryDirectory() as tmp:   # one per example: nothing left behind
        d = Path(tmp)
        m = Manifest(d/'manifest.csv')
        for r in rows: m.log(r)
        def on_disk(): return {r['url']: {k: v for k, v in r.items() if v} for r in Manifest(d/'manifest.csv')}
        want = {r['url']: {k: v for k, v in r.items() if v} for r in rows}
        assert on_disk() == want
        m.save()
        assert on_disk() == want


@pytest.fixture(scope='module')
def saved_model(trained, tmp_path_factory):
    from catdetect.modelfile import export_model
    return export_model(trained, tmp_path_factory.mktemp('model')/'pets')


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(text, fs_name).filter(lambda s: 0 < len(s) <= 1000), min_size=2, max_size=2, unique=True))
def test_model_description_round_trips_any_class_names(saved_model, names):
    "The description is JSON: class names (anything a folder can be called) are written and read back as they were."
    from catdetect.modelfile import read_spec, commit_model, model_paths
    spec = read_spec(saved_model)
    spec['classes'] = names
    with tempfile.TemporaryDirectory() as tmp:   # one per example: nothing left behind
        d = Path(tmp)
        w = model_paths(saved_model)[1].read_bytes()
        commit_model(d/'m.json', json.dumps(spec, indent=1), w, spec['weights']['sha256'])
        assert read_spec(d/'m')['classes'] == names


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.fixed_dictionaries({'item': fs_name, 'given': cell, 'suggested': cell,
                                       'given_prob': st.floats(0, 1), 'suggested_prob': st.floats(0, 1),
                                       'trained_as': st.one_of(st.none(), cell.filter(bool))}), max_size=5))
def test_label_issue_csv_round_trips(rows):
    from types import SimpleNamespace
    from catdetect.interpret import save_label_issues
    issues = [{**r, 'split': 'train'} for r in rows]
    with tempfile.TemporaryDirectory() as tmp: got = read_csv_rows(save_label_issues(SimpleNamespace(label_issues=issues), Path(tmp)/'li.csv'))
    assert [g['item'] for g in got] == [r['item'] for r in issues]
    assert [(g['given'], g['suggested']) for g in got] == [(r['given'], r['suggested']) for r in issues]
    assert [float(g['given_prob']) for g in got] == [r['given_prob'] for r in issues]
    assert [g['trained_as'] or None for g in got] == [r['trained_as'] for r in issues]   # empty: left out of training


@settings(max_examples=60, deadline=None)
@given(classes=st.lists(st.text(min_size=1, max_size=30), min_size=2, max_size=5, unique=True), onnx=st.binary(max_size=300))
def test_web_page_model_reads_back_as_written(tmp_path_factory, classes, onnx):
    "The page's model.js: any class names (quotes, `</script>`, lone surrogates) and bytes come back as written."
    from catdetect.web import web_model_js, read_web_model
    d = tmp_path_factory.mktemp('page')
    spec = dict(classes=classes, resize=dict(method='crop', size=[224, 224], mode=2), draft=[448, 448], calibration=None, centroids=None)
    (d/'model.js').write_text(web_model_js(spec, onnx), encoding='utf-8')
    assert read_web_model(d) == (spec, onnx)
