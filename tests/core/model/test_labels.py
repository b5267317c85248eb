import pytest

from umt_desktop.core.errors import LabelError
from umt_desktop.core.model.labels import kinetics, labels_for


@pytest.mark.parametrize("classes", [400, 600, 700, 710])
def test_kinetics_sets_have_their_class_count(classes):
    labels = kinetics(classes)
    assert len(labels) == classes
    assert labels[0] == "abseiling"
    assert len(set(labels.names)) == classes


def test_lookup_accepts_underscores_and_case():
    labels = kinetics(400)
    i = labels.index("air drumming")
    assert labels.index("Air_Drumming") == i
    assert labels.find("no such action") is None


def test_unknown_class_count_needs_a_label_file(tmp_path):
    with pytest.raises(LabelError, match="123 classes"):
        labels_for(123)
    f = tmp_path / "mine.txt"
    f.write_text("\n".join(f"class {i}" for i in range(123)) + "\n")
    assert labels_for(123, f)[122] == "class 122"
    with pytest.raises(LabelError, match="has 123 names but the classifier has 400"):
        labels_for(400, f)
