"""Defaults and the models-folder convention, in one place that imports nothing but the standard library.

The command line takes its option defaults from here at import time, the
library's dataclasses (:class:`~classifier.training.TrainingSettings`,
:class:`~classifier.model.features.FeatureSettings`,
:class:`~classifier.tagging.job.TagJob`) take theirs, and the HTTP service its
models folder: they cannot disagree, and no command pays for importing
scikit-learn to show its help.

Models live in a folder (``models`` unless ``HEADLINE_TAGGER_MODELS_DIR`` or
``--models-dir`` says otherwise), one sub-folder per model, with a ``current``
symlink to the one in use. Every environment variable of the project starts
with :data:`ENV_PREFIX`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ABSTAIN_THRESHOLD",
    "ADAPT_MIN_SCORE",
    "ADAPT_ROWS",
    "CHAR_NGRAMS",
    "CHAR_WEIGHT",
    "CLASS_WEIGHT",
    "COMPARE_EXAMPLES",
    "CURRENT_LINK",
    "C_CHOICES",
    "DRIFT_DISTANCE",
    "ENV_PREFIX",
    "FEEDBACK_DB",
    "FEEDBACK_WEIGHT",
    "HEADLINE_WEIGHT",
    "HOST",
    "LABEL_THRESHOLD",
    "LINK_ROWS",
    "MAX_BAD_ROWS",
    "MAX_FEATURES",
    "MAX_NGRAM_CANDIDATES",
    "MAX_RECALL_DROP",
    "MIN_DF",
    "MODEL",
    "MODELS_DIR",
    "NAIVE_BAYES",
    "NAIVE_BAYES_MODES",
    "PENALTY_MIN_GAIN",
    "PENALTY_ROWS_PER_SOURCE",
    "PORT",
    "PROFILE",
    "PROFILES",
    "PROMOTE_MARGIN",
    "RESAMPLES",
    "REUTERS_BODY",
    "SCORE_BINS",
    "SEED",
    "SERVE_WORKERS",
    "SGD_ABOVE_ROWS",
    "SGD_CALIBRATION_FOLDS",
    "SGD_EPOCHS",
    "SHARE_PRIOR_ROWS",
    "SHARE_RESAMPLES",
    "SOLVER",
    "SOLVERS",
    "SOURCE_WEIGHTING",
    "SOURCE_WEIGHTINGS",
    "STEMMING",
    "STREAM_BATCH_ROWS",
    "SUBLINEAR_TF",
    "TAG_CHUNK_SIZE",
    "TAG_ENGINE",
    "TAG_SPAN_BYTES",
    "TAG_SPAN_ROWS",
    "VALIDATION_FRACTION",
    "WORD_NGRAMS",
    "C",
    "current_link",
    "env_var",
    "model_path",
]

# The environment and the models folder.
ENV_PREFIX = "HEADLINE_TAGGER_"
MODELS_DIR = Path("models")
CURRENT_LINK = "current"
MODEL = MODELS_DIR / CURRENT_LINK
"""The model the commands use when neither ``--model`` nor ``HEADLINE_TAGGER_MODEL`` names one."""
FEEDBACK_DB = MODELS_DIR / "feedback.db"
"""The corrections store when neither ``--feedback-db`` nor ``HEADLINE_TAGGER_FEEDBACK_DB`` names one."""


def env_var(name: str) -> str:
    """The environment variable of setting ``name``: ``HEADLINE_TAGGER_MODELS_DIR`` for ``MODELS_DIR``."""
    return ENV_PREFIX + name


def current_link(models_dir: Path | str) -> Path:
    """The ``current`` symlink of ``models_dir``: the model in use, which training promotes."""
    return Path(models_dir) / CURRENT_LINK


def model_path(model: Path | str | None, models_dir: Path | str) -> Path:
    """``model`` when one is given, else the ``current`` link of ``models_dir``."""
    return Path(model) if model else current_link(models_dir)


# Reading data.
MAX_BAD_ROWS = "1%"
REUTERS_BODY = "first-sentence"

# Training: the settings that won the accuracy benchmark.
VALIDATION_FRACTION = 0.1
SEED = 0
C: float | None = None
"""The linear SVM's penalty; None chooses one of :data:`C_CHOICES` by holding out each training source in
turn (classifier/penalty.py), or the first with a single source."""
C_CHOICES = (1.0, 0.3, 0.1)
PENALTY_ROWS_PER_SOURCE = 20_000
"""Rows of each source the choice of C fits on at most, so that it costs the same on any archive."""
PENALTY_MIN_GAIN = 0.005
"""The first of :data:`C_CHOICES` whose mean held-out macro-F1 is within this of the best is chosen."""
CLASS_WEIGHT: str | None = "balanced"
NAIVE_BAYES_MODES: dict[str, bool | None] = {"auto": None, "on": True, "off": False}
NAIVE_BAYES = "auto"
"""``auto``: single-label models are fitted with and without naive-Bayes scaling, and the better is kept."""
SOLVERS = ("auto", "svm", "sgd")
"""``svm``: liblinear's ``LinearSVC``; ``sgd``: the same hinge loss by stochastic gradient descent, whose
cost grows linearly with the rows; ``auto``: ``sgd`` above :data:`SGD_ABOVE_ROWS` rows of data."""
SOLVER = "auto"
SGD_ABOVE_ROWS = 200_000
"""Where ``auto`` switches to ``sgd``: above every accuracy protocol, where ``svm`` starts to cost minutes
(bench/README.md, "Training cost")."""
SGD_EPOCHS = 5
"""Passes of the ``sgd`` solver over the training rows."""
SGD_CALIBRATION_FOLDS = 2
"""Folds of the ``sgd`` solver's calibration: each costs :data:`SGD_EPOCHS` more passes."""
STREAM_BATCH_ROWS = 200_000
"""Rows that streamed training (the ``sgd`` solver) reads, turns into features and writes to disk at once:
with the n-gram counts, what bounds its memory."""
LINK_ROWS = 200_000
"""Rows whose out-of-fold scores streamed training fits the calibration link on, a seeded sample."""
SOURCE_WEIGHTINGS = ("equal", "rows")
"""How much each training source counts: ``equal``, every source the same in total, so that a big archive
does not define the topics (bench/README.md, "Levers, each measured"); ``rows``, every row the same."""
SOURCE_WEIGHTING = "equal"
LABEL_THRESHOLD = 0.25
ABSTAIN_THRESHOLD = 0.0
FEEDBACK_WEIGHT = 5.0
"""How much a correction counts in ``train --feedback`` against one row of DATA (bench/feedback.py)."""
ADAPT_MIN_SCORE = 0.9
"""``train --adapt``: the probability from which an archive row's answer becomes a training label. On
leave one outlet out 0.7 scored 0.3 points of macro-F1 higher; 0.9 is the safer for an archive the model
knows less well (bench/README.md, "Levers, each measured")."""
ADAPT_ROWS = 100_000
"""``train --adapt``: archive rows answered at most, a seeded sample of a bigger archive: what bounds the
second fit's cost."""

# Features: the "fast" profile, which meets the archive-tagging speed target.
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS: tuple[int, int] | None = None
HEADLINE_WEIGHT = 0.5
CHAR_WEIGHT = 1.0
MIN_DF = 2
MAX_FEATURES: int | None = 1_000_000
"""N-grams kept per feature channel, the most frequent: a million rows of news have about 650,000 with
``MIN_DF``; ten million would have millions, and the model's weights would take gigabytes."""
MAX_NGRAM_CANDIDATES = 60_000_000
"""Distinct n-grams of one order and feature channel counted while fitting the vocabulary before those seen
in a single document so far are dropped (:mod:`classifier.model.vocabulary`), at 24 bytes each: about
1.4 GiB per order and channel, as long as fewer than that many have been seen twice (those are kept),
with up to half as many again waiting to be merged in."""
SUBLINEAR_TF = True
STEMMING = True
"""Count the forms of one English stem ("election", "elections", "elected") as one word
(:mod:`classifier.model.word_forms`): +0.6 points of mean macro-F1 on outlets the model never saw, every
one up, and the in-domain protocols within 0.4 points of accuracy (bench/README.md, "Stemming")."""
PROFILES: dict[str, dict[str, object]] = {
    "fast": {},
    # Character n-grams: about a point of accuracy, at a tenth of the speed. They see word forms
    # already: stemming them too cost HuffPost raw 1.2 points of macro-F1 (bench/README.md, "Stemming").
    "accurate": {"char_ngrams": (2, 5), "stemming": False},
}
"""Named feature sets, as changes to the feature defaults above."""
PROFILE = "fast"

# Comparing models and promoting them (``models compare``, ``train --promote-if-better``).
RESAMPLES = 1000
"""Paired bootstrap resamples: the 95% interval's ends move by well under a point of F1 between seeds."""
PROMOTE_MARGIN = 0.0
"""Macro-F1 a new model must gain over the current one to be promoted: why 0 is in docs/models.md."""
MAX_RECALL_DROP = 0.02
"""The most any topic's recall may fall for a new model to be promoted."""
COMPARE_EXAMPLES = 5
"""Disagreements ``models compare`` shows (``--disagreements FILE`` writes them all)."""
REVIEW_STRATEGIES = ("margin", "entropy", "random")
"""What ``review`` may rank rows by; the first is the default (bench/README.md, choosing what to review)."""

# Batch tagging.
TAG_CHUNK_SIZE = 10_000
TAG_ENGINE = "local"
TAG_SPAN_BYTES = 32 << 20
"""The Dask engine cuts uncompressed JSON lines and CSV this often: some seconds of one worker's tagging."""
TAG_SPAN_ROWS = 100_000
"""The Dask engine cuts Parquet inputs between row groups once this many rows are gathered."""

# The archive report of ``tag --report`` (docs/batch-tagging.md).
SCORE_BINS = 20
"""Equal-width bins of the top score over [0, 1], for the archive's and the validation split's histograms."""
DRIFT_DISTANCE = 0.1
"""Jensen-Shannon distance (base 2, 0 to 1) between those histograms above which an archive is called
unlike the training data."""
SHARE_PRIOR_ROWS = 5
"""Rows answered right added to each label's validation counts before the shares are adjusted: see
classifier/shares.py and bench/README.md (topic shares)."""
SHARE_RESAMPLES = 400
"""Bootstrap resamples of the adjusted topic shares' 95% intervals."""

# Serving over HTTP (``headline-tagger serve``).
HOST = "127.0.0.1"
PORT = 8000
SERVE_WORKERS = 2
