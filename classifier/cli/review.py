"""``review`` and ``audit``: where editors' time teaches the model most, and which labels look wrong."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from classifier import settings
from classifier.cli import console
from classifier.cli.options import (
    NumberRange,
    data_options,
    data_request,
    model_option,
    read_options,
    reader_options,
)

__all__ = ["audit", "review"]


_output_option = click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the JSON lines to this file (atomically) instead of stdout.",
)


@click.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@model_option
@reader_options
@click.option("--n", "n", type=click.IntRange(min=1), default=200, show_default=True, help="Rows to pick.")
@click.option(
    "--strategy",
    type=click.Choice(settings.REVIEW_STRATEGIES),
    default="margin",
    show_default=True,
    help="What makes a row worth reviewing: a small gap between the top two topics, a high entropy, "
    "or chance (the control).",
)
@click.option("--seed", type=int, default=settings.SEED, show_default=True, help="Seed of --strategy random.")
@click.option(
    "--pool",
    "pool_factor",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Candidates kept while reading, as a multiple of --n: what bounds memory on a large archive.",
)
@click.option(
    "--similarity",
    type=NumberRange(0, 1, min_open=True),
    default=0.5,
    show_default=True,
    help="TF-IDF cosine at or above which two candidates are near-duplicates (1: identical only).",
)
@click.option(
    "--spread/--no-spread",
    default=False,
    show_default=True,
    help="Take the rows round-robin over the predicted topics instead of simply the most uncertain "
    "(measured a point less accurate).",
)
@_output_option
def review(inputs: tuple[str, ...], output: Path | None, **kwargs) -> None:
    """Pick the rows of unlabelled archive INPUTs whose labels would teach the model most.

    INPUTs are read as `tag` reads them. The picked rows are the most uncertain
    ones, near-duplicates left out (and with --spread, spread over the
    predicted topics); each is one JSON line with id, headline, teaser and the
    model's label, score, labels and abstained.
    """
    from classifier.review import ReviewJob, review_archive  # scikit-learn: only when reviewing

    options = read_options(kwargs, labelled=False)
    job = ReviewJob(inputs=inputs, options=options, **kwargs)
    with console.user_errors():
        queue = review_archive(job)
        _write(queue.rows, output)
    console.print_read_report(queue.report)
    click.echo(
        f"read {queue.rows_read:,} rows; kept the {queue.pool:,} most uncertain, "
        f"dropped {queue.duplicates:,} near-duplicates; picked {len(queue.rows):,} "
        f"({job.strategy}) with model {queue.model_id}",
        err=True,
    )


@click.command()
@data_options
@click.option(
    "--model",
    "model_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Score with this model instead of cross-validating the default recipe: only sound on rows "
    "it was not trained on.",
)
@click.option(
    "--folds",
    type=click.IntRange(min=2),
    default=5,
    show_default=True,
    help="Cross-validation folds of the out-of-fold probabilities.",
)
@click.option("--seed", type=int, default=settings.SEED, show_default=True, help="Seed of the folds.")
@click.option("--limit", type=click.IntRange(min=1), help="Report at most this many rows.")
@_output_option
def audit(model_dir: Path | None, folds: int, seed: int, limit: int | None, output, **kwargs) -> None:
    """Find rows of labelled DATA whose given label is probably wrong (same DATA forms as train).

    Each row gets probabilities from a model that never saw it (the default
    recipe, cross-validated), and confident learning (cleanlab) flags the rows
    whose label the model confidently disagrees with. One JSON line per row,
    surest first: source, line, headline, given, suggested, self_confidence.
    Single-label data only.
    """
    from classifier.audit import find_label_issues  # scikit-learn and cleanlab: only when auditing
    from classifier.persistence import load_model
    from classifier.workflows import load_data

    request = data_request(kwargs)
    with console.user_errors(), console.reading_progress("Reading data", request) as count:
        model = load_model(model_dir)[0] if model_dir is not None else None
        data, report = load_data(request, on_row=count)
        with console.step(f"Scoring {len(data):,} rows" + ("" if model else f" out of fold ({folds} folds)")):
            issues = find_label_issues(data, model=model, folds=folds, seed=seed)
        _write([issue.to_dict() for issue in issues[:limit]], output)
    console.print_read_report(report)
    click.echo(
        f"{len(issues):,} probable label issues in {len(data):,} rows ({len(issues) / len(data):.1%})"
        + (f"; wrote the first {min(limit, len(issues)):,}" if limit else ""),
        err=True,
    )


def _write(rows: list[dict], output: Path | None) -> None:
    from classifier.atomic import write_json_lines
    from classifier.jsontext import dumps

    if output is None:
        sys.stdout.writelines(dumps(row) + "\n" for row in rows)
    else:
        write_json_lines(output, rows)
