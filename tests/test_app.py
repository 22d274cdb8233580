"The upload widget's handler on an uploaded file's bytes, as ipywidgets 8 delivers them."
import re
from datetime import datetime, timezone
import pytest
from catdetect.core import sample_path
from catdetect.app import uploaded_files, classify_upload, classifier_app, describe_prediction
from catdetect.testing import bomb_png

pytestmark = pytest.mark.slow


def v8_value(name, data):
    "`FileUpload.value` as ipywidgets 8 sets it."
    return ({'name': name, 'type': 'image/jpeg', 'size': len(data), 'content': memoryview(data),
             'last_modified': datetime.now(timezone.utc)},)


def test_handler_on_uploaded_bytes(trained):
    photo = sample_path()/'Persian_1.jpg' if (sample_path()/'Persian_1.jpg').exists() else sorted(sample_path().glob('[A-Z]*.jpg'))[0]
    [(name, text)] = classify_upload(trained, v8_value(photo.name, photo.read_bytes()))
    assert name == photo.name and re.fullmatch(r"Prediction: (cat|dog)\nProbability it's a cat: [01]\.\d{4}", text), text


def test_non_image_upload_is_explained(trained):
    [(_, text)] = classify_upload(trained, v8_value('notes.pdf', b'%PDF-1.4 ...'))
    assert text.startswith("Can't classify notes.pdf") and 'JPEG' in text


def test_widget_updates_on_upload(trained):
    import ipywidgets
    assert int(ipywidgets.__version__.split('.')[0]) >= 8
    photo = sorted(sample_path().glob('[a-z]*.jpg'))[0]
    app = classifier_app(trained)
    app.upload.value = v8_value(photo.name, photo.read_bytes())
    assert 'Prediction: ' in app.result.value and app.thumb.value[:3] == b'\xff\xd8\xff'
    assert app.upload.multiple and len(app.cards.children) == 1


def test_several_photos_one_answer_each(trained):
    photos = sorted(sample_path().glob('[a-z]*.jpg'))[:2] + sorted(sample_path().glob('[A-Z]*.jpg'))[:1]
    app = classifier_app(trained)
    app.upload.value = sum((v8_value(p.name, p.read_bytes()) for p in photos), ()) + v8_value('bomb.png', BOMB)
    assert len(app.cards.children) == 4
    for card, p in zip(app.cards.children, photos):
        assert p.name in card.children[1].value and ('Prediction: ' in card.children[1].value)
    assert 'too many pixels' in app.cards.children[3].children[1].value   # refused before decoding, said in its card


BOMB = bomb_png()


def test_describe_prediction():
    from catdetect.predict import Prediction
    def pred(label, guess, sure, cal): return Prediction(label, max(cal.values()), guess, cal[guess], 0.8, sure, cal, cal)
    assert describe_prediction(pred('dog', 'dog', True, {'cat': 0.1, 'dog': 0.9})) == "Prediction: dog\nProbability it's a cat: 0.1000"
    bears = {'grizzly': 0.8, 'black': 0.15, 'teddy': 0.05}
    assert describe_prediction(pred('grizzly', 'grizzly', True, bears)).endswith("Probability it's a grizzly: 0.8000")
    text = describe_prediction(pred('not sure', 'grizzly', False, bears))
    assert text.startswith('Prediction: not sure') and 'grizzly' in text
