"""``serve`` and ``start``: the HTTP service under gunicorn (:func:`service.server.serve`).

Flask and gunicorn are imported only when a command serves: the CLI is the
one part of ``classifier`` that may import :mod:`service`.
"""

from __future__ import annotations

from pathlib import Path

import click

from classifier import settings
from classifier.cli import console
from classifier.cli.options import feedback_db_option, models_dir_option, server_options
from classifier.cli.train import train_and_report
from classifier.persistence import load_model

__all__ = ["serve", "start"]

_MODELS_DIR_HELP = "Models are only loaded from inside this folder"

_DEMO_HEADLINES = [
    ("Parliament passes budget after all-night session", "The coalition survived a confidence vote."),
    ("Record heat scorches southern Europe as wildfires spread", "Temperatures topped 46C in Sicily."),
    ("Central bank holds rates as inflation cools", "Markets had priced in a pause."),
    ("Striker's late goal sends club into cup final", ""),
]


def _serve(
    model_dir: Path | None, models_dir: Path, feedback_db: str, host: str, port: int, workers: int
) -> None:
    from service.server import serve

    config = {"MODEL": model_dir, "MODELS_DIR": models_dir, "FEEDBACK_DB": feedback_db}
    with console.user_errors():
        serve(config, host=host, port=port, workers=workers)


@click.command()
@click.option(
    "--model",
    "model_dir",
    envvar=settings.env_var("MODEL"),
    type=click.Path(path_type=Path),
    help=f"Model directory, inside --models-dir (default: MODELS_DIR/{settings.CURRENT_LINK}; "
    f"env {settings.env_var('MODEL')}).",
)
@models_dir_option(_MODELS_DIR_HELP)
@feedback_db_option
@server_options
def serve(
    model_dir: Path | None, models_dir: Path, feedback_db: str, host: str, port: int, workers: int
) -> None:
    """Serve the model over HTTP (JSON API, web page, metrics) with gunicorn.

    SIGTERM stops gracefully; SIGHUP loads models/current again and keeps the
    old model when the new one fails to load. Settings: the flags, or
    HEADLINE_TAGGER_* variables (docs/configuration.md).
    """
    _serve(model_dir, models_dir, feedback_db, host, port, workers)


@click.command()
@models_dir_option(_MODELS_DIR_HELP)
@feedback_db_option
@server_options
@click.option(
    "--no-serve", is_flag=True, help="Print the model's topics for a few sample headlines, then exit."
)
def start(models_dir: Path, feedback_db: str, host: str, port: int, workers: int, no_serve: bool) -> None:
    """Train the starter model if models/current is missing, then serve it (like serve)."""
    current = settings.current_link(models_dir)
    if not current.exists():
        from classifier.training import TrainingSettings  # scikit-learn: only when there is training to do
        from classifier.workflows import DataRequest

        train_and_report(DataRequest(starter=True, taxonomy="default"), TrainingSettings(), models_dir)
    if not no_serve:
        _serve(None, models_dir, feedback_db, host, port, workers)
        return
    with console.user_errors():
        model, manifest = load_model(current)
    headlines = [headline for headline, _ in _DEMO_HEADLINES]
    teasers = [teaser for _, teaser in _DEMO_HEADLINES]
    console.stdout.print(f"model {manifest.model_id} ({current}):")
    for headline, prediction in zip(headlines, model.predict(headlines, teasers, top_k=3), strict=True):
        console.stdout.print(console.prediction_text(headline, prediction))
