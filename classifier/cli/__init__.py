"""The ``headline-tagger`` command line: click commands over the core, and their terminal output.

One module per job: :mod:`~classifier.cli.train`, :mod:`~classifier.cli.evaluate`,
:mod:`~classifier.cli.predict` (predict, labels, info), :mod:`~classifier.cli.tag`,
:mod:`~classifier.cli.review` (review, audit), :mod:`~classifier.cli.serve` (serve, start),
:mod:`~classifier.cli.feedback` and :mod:`~classifier.cli.models` (list, promote, rollback,
history, compare); the options
they share are defined once in :mod:`~classifier.cli.options`, from the defaults of
:mod:`classifier.settings`, and what they print is in :mod:`~classifier.cli.console`.
Each command parses its options, calls the core, and prints the result; the
core's errors become a one-line message and a non-zero exit, never a traceback.

Importing this package must stay quick, because every command pays for it:
scikit-learn (about a second) loads only when this process trains, evaluates
or predicts, never for ``tag`` with worker processes, which load the model
themselves. So the modules that import it (training, evaluation, the
workflows) are imported inside the commands that use them.
"""

import click

from classifier.cli.evaluate import evaluate
from classifier.cli.feedback import feedback
from classifier.cli.models import models
from classifier.cli.predict import info, labels, predict
from classifier.cli.review import audit, review
from classifier.cli.serve import serve, start
from classifier.cli.tag import tag
from classifier.cli.train import train

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="headline-tagger")
def main() -> None:
    """Tag news headlines (and their teasers) with topics such as politics, finance and climate."""


for _command in (train, evaluate, predict, labels, info, tag, review, audit, serve, start, feedback, models):
    main.add_command(_command)
