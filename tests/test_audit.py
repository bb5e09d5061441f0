"""audit: confident learning on out-of-fold probabilities finds labels flipped on purpose."""

import json

import pytest
from click.testing import CliRunner
from conftest import tiny_data

from classifier.audit import find_label_issues
from classifier.cli import main
from classifier.errors import DataError
from classifier.inputs.datasets import LabeledData

_OTHER = {"politics": "sport", "finance": "politics", "sport": "finance"}
# One variant of five stories, two of each topic's twelve: rows 3 * story.
FLIPPED = [3 * story for story in (2, 9, 15, 22, 30)]


def _retold() -> LabeledData:
    """Each tiny story three ways (headline and teaser, headline alone, teaser alone), as a wire
    retells it, with the label of :data:`FLIPPED` rows changed to another topic."""
    tiny, data = tiny_data(), LabeledData()
    for headline, teaser, labels in zip(tiny.headlines, tiny.teasers, tiny.labels, strict=True):
        for text, extra in ((headline, teaser), (headline, ""), (teaser, "")):
            data.headlines.append(text)
            data.teasers.append(extra)
            data.labels.append(labels)
    for row in FLIPPED:
        data.labels[row] = (_OTHER[data.labels[row][0]],)
    return data


@pytest.fixture(scope="module")
def retold_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("audit") / "retold.jsonl"
    data = _retold()
    path.write_text(
        "".join(
            json.dumps({"headline": h, "teaser": t, "label": labels[0]}) + "\n"
            for h, t, labels in zip(data.headlines, data.teasers, data.labels, strict=True)
        ),
        encoding="utf-8",
    )
    return path


def test_audit_finds_flipped_labels_and_suggests_the_true_one(retold_file, tmp_path):
    output = tmp_path / "issues.jsonl"
    result = CliRunner().invoke(main, ["audit", str(retold_file), "--output", str(output)])
    assert result.exit_code == 0, result.output
    issues = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    truth = tiny_data()
    by_line = {issue["line"] - 1: issue for issue in issues}  # lines count from 1
    found = [row for row in FLIPPED if row in by_line]
    assert len(found) >= 4, issues
    for row in found:
        assert by_line[row]["suggested"] == truth.labels[row // 3][0]
        assert by_line[row]["given"] == _OTHER[truth.labels[row // 3][0]]
    assert len(issues) <= 20, "flags most of the 103 right labels too"
    assert all(issue["source"] == str(retold_file) for issue in issues)
    confidences = [issue["self_confidence"] for issue in issues]
    assert confidences == sorted(confidences)
    assert f"{len(issues)} probable label issues in 108 rows" in result.output


def test_audit_limit_writes_the_surest_rows_to_stdout(retold_file):
    result = CliRunner().invoke(main, ["audit", str(retold_file), "--limit", "2", "--folds", "3"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 2
    assert set(rows[0]) == {"source", "line", "headline", "given", "suggested", "self_confidence"}
    assert rows[0]["self_confidence"] <= rows[1]["self_confidence"]


def test_audit_refuses_multilabel_rows():
    data = tiny_data()
    data.labels[0] = ("politics", "finance")
    with pytest.raises(DataError, match="single-label only: 1 rows"):
        find_label_issues(data)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["no-such-file.jsonl"], "no-such-file.jsonl"),
        (["--folds", "40"], "at least 40 rows for 40 folds"),
    ],
)
def test_audit_bad_input_is_one_line_and_exit_1(retold_file, arguments, message):
    if arguments[0] == "--folds":
        arguments = [str(retold_file), *arguments]
    result = CliRunner().invoke(main, ["audit", *arguments])
    assert result.exit_code == 1
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_audit_with_a_model_scores_rows_it_never_saw(retold_file, tagging_model_dir, tmp_path):
    # The tiny model learnt the true labels, so it is an honest judge of the flipped copies.
    output = tmp_path / "issues.jsonl"
    arguments = ["audit", str(retold_file), "--model", str(tagging_model_dir), "-o", str(output)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    issues = {json.loads(line)["line"] - 1: json.loads(line) for line in output.read_text().splitlines()}
    truth = tiny_data()
    assert set(FLIPPED) <= set(issues)
    assert all(issues[row]["suggested"] == truth.labels[row // 3][0] for row in FLIPPED)


def test_audit_with_a_model_refuses_labels_it_does_not_know(tiny_model):
    data = tiny_data()
    data.labels[0] = ("weather",)
    with pytest.raises(DataError, match="labels the model does not know: weather"):
        find_label_issues(data, model=tiny_model)
