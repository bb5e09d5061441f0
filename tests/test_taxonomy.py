"""The default taxonomy and the shipped label maps."""

import json

import pytest

from classifier.errors import DataError
from classifier.taxonomy import LabelMap, load_label_map, load_taxonomy, shipped_label_maps


def test_default_taxonomy_has_the_twelve_topics_with_iptc_codes():
    taxonomy = load_taxonomy()
    assert taxonomy.labels == (
        "politics",
        "finance",
        "climate",
        "world",
        "crime",
        "science",
        "technology",
        "health",
        "sport",
        "entertainment",
        "education",
        "lifestyle",
    )
    codes = {topic.label: topic.iptc for topic in taxonomy.topics}
    assert codes["politics"] == "medtop:11000000"
    assert codes["finance"] == "medtop:04000000"
    assert codes["climate"] == "medtop:06000000"
    assert all(topic.description for topic in taxonomy.topics)


@pytest.mark.parametrize("name", ["huffpost", "agnews", "bbc", "nyt"])
def test_shipped_maps_point_only_at_default_topics(name):
    assert name in shipped_label_maps()
    load_label_map(name).check_targets(load_taxonomy())


@pytest.mark.parametrize(
    ("name", "source", "topic"),
    [
        ("huffpost", "BUSINESS", "finance"),
        ("huffpost", "MONEY", "finance"),
        ("huffpost", "GREEN", "climate"),
        ("huffpost", "ENVIRONMENT", "climate"),
        ("huffpost", "WORLD NEWS", "world"),
        ("huffpost", "THE WORLDPOST", "world"),
        ("agnews", "3", "finance"),
        ("agnews", "Business", "finance"),
        ("nyt", "Climate", "climate"),
        ("nyt", "Foreign", "world"),
        ("nyt", "Washington", "politics"),
        ("bbc", "tech", "technology"),
    ],
)
def test_shipped_maps_carry_the_documented_labels(name, source, topic):
    assert load_label_map(name).translate((source,)) == (topic,)


def test_null_targets_drop_labels_and_duplicates_collapse():
    mapping = LabelMap(name="t", map={"A": "x", "B": "x", "C": None})
    assert mapping.translate(("A", "B", "C")) == ("x",)
    assert mapping.translate(("C",)) == ()


def test_strict_map_raises_on_an_unlisted_label_and_lenient_map_drops_it():
    with pytest.raises(KeyError):
        LabelMap(name="t", map={"A": "x"}).translate(("Z",))
    assert LabelMap(name="t", strict=False, map={"A": "x"}).translate(("Z", "A")) == ("x",)


def test_map_pointing_outside_the_taxonomy_is_refused():
    with pytest.raises(DataError, match="not in taxonomy 'default': weather"):
        LabelMap(name="t", map={"A": "weather"}).check_targets(load_taxonomy())


def test_user_label_map_file_is_validated(tmp_path):
    good = tmp_path / "map.json"
    good.write_text(json.dumps({"name": "mine", "map": {"Econ": "finance"}}))
    assert load_label_map(str(good)).translate(("Econ",)) == ("finance",)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "mine", "map": {"Econ": 3}}))
    with pytest.raises(DataError, match=r"invalid label map: map\.Econ"):
        load_label_map(str(bad))
    with pytest.raises(DataError, match="no such label-map file"):
        load_label_map(str(tmp_path / "missing.json"))
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(DataError, match="cannot read label map"):
        load_label_map(str(tmp_path / "broken.json"))
