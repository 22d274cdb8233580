"The command line, and the package working from any directory."
import subprocess, sys
import pytest
from catdetect.cli import main, parser


def test_import_from_another_directory(tmp_path):
    out = subprocess.run([sys.executable, '-c', 'import catdetect, catdetect.all; print(catdetect.__version__)'],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.strip(), out.stderr


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit): main(['--help'])
    out = capsys.readouterr().out
    for cmd in ('demo', 'search', 'download', 'train', 'predict', 'app'): assert cmd in out


def test_pickle_refused_without_flag(tmp_path, capsys):
    (tmp_path/'m.pkl').write_bytes(b'not really a pickle')
    with pytest.raises(SystemExit) as e: main(['predict', str(tmp_path/'m.pkl'), 'x.jpg'])
    err = capsys.readouterr().err
    assert e.value.code == 2 and 'is a pickle' in err and '--allow-pickle' in err


def test_offline_search_is_one_clear_line(capsys):
    with pytest.raises(SystemExit) as e: main(['search', 'grizzly bear'])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith('catdetect: Not searching') and 'What to do' in err and 'Traceback' not in err


@pytest.mark.slow
def test_train_and_predict_commands(folder_dir, tmp_path, capsys):
    main(['train', str(folder_dir), '--out', str(tmp_path/'m'), '--size', '64'])
    assert (tmp_path/'m.json').exists() and (tmp_path/'m_confusion.png').exists() and (tmp_path/'m_top_losses.png').exists()
    photo = next((folder_dir/'dog').iterdir())
    with pytest.raises(SystemExit) as e: main(['predict', str(tmp_path/'m'), str(photo), str(tmp_path/'m.json')])
    assert e.value.code == 1   # one of the two could not be classified: answered the other, then a non-zero exit
    out = capsys.readouterr()
    assert f'{photo}\t' in out.out and any(f'\t{c}\t' in out.out for c in ('dog', 'cat', 'not sure'))
    assert 'm.json\terror\t' in out.err   # a model file is not a photo: reported, the run goes on


@pytest.mark.slow
def test_demo_offline_says_so_in_one_line_and_trains(tmp_path, monkeypatch, capsys):
    import catdetect.cli as cli, catdetect.search
    from catdetect.core import OfflineError
    monkeypatch.delenv('CATDETECT_OFFLINE', raising=False)
    def no_net(*a, **k): raise OfflineError('Image search could not reach the internet (DNS error).')
    monkeypatch.setattr(catdetect.search, 'ddgs_search', no_net)   # what the search stage of `build_dataset` meets offline
    res = cli.demo(out=str(tmp_path/'demo'), size=128)
    out = capsys.readouterr().out
    assert [l for l in out.splitlines() if l.startswith('Offline: ')] == \
        ["Offline: the image search can't reach the internet, so training on the 172 Oxford-IIIT Pet photos shipped with catdetect instead."]
    assert res['n_valid'] == 34 and res['accuracy'] >= 0.9
    assert (tmp_path/'demo'/'model.json').exists() and res['prediction'][1] in ('cat', 'dog', 'not sure')
