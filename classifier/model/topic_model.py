"""The fitted topic model and prediction: labels, calibrated scores, abstention, explanations.

:class:`TopicModel` wraps a fitted scikit-learn pipeline (features → linear
classifier) with what turns raw probabilities into answers a newsroom can use:
per-label thresholds (a story can be about politics *and* the world), an
abstain threshold (say "don't know" instead of guessing) and exact, per-n-gram
explanations read off the linear model's weights.

Models of the default ("fast") feature profile are scored through a compiled
form of their pipeline (:mod:`classifier.model.scoring`), built on first use and
never saved: the same probabilities without scikit-learn's per-call overhead,
which is most of the cost of one headline. Explanations, and every other
model, go through the pipeline itself.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import ge

import numpy as np
from scipy import sparse
from sklearn import config_context
from sklearn.pipeline import Pipeline

from classifier.model.features import as_input
from classifier.model.scoring import CompiledScorer, compile_scorer
from classifier.model.tokens import ngram_windows, word_tokens
from classifier.model.word_tfidf import FastWordTfidfVectorizer

__all__ = ["Contribution", "LabelScore", "Prediction", "TopicModel"]


def _fitted():
    """A fitted pipeline needs no re-validation on every call: skipping scikit-learn's parameter
    and finiteness checks saves a noticeable share of a small prediction."""
    return config_context(assume_finite=True, skip_parameter_validation=True)


_SCORER_LOCK = threading.Lock()  # one compilation at a time, whichever thread asks first


def _new_scorer_lock() -> None:
    # A child forked while another thread held the lock would wait for it forever.
    global _SCORER_LOCK
    _SCORER_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_scorer_lock)


# LabelScore and Prediction are not frozen: a frozen dataclass's __init__ costs six times a plain one's,
# and every predicted row makes one of each.
@dataclass(slots=True)
class LabelScore:
    """A topic and its probability."""

    label: str
    score: float


@dataclass(frozen=True, slots=True)
class Contribution:
    """How much one n-gram added to a topic's decision score.

    ``field`` says where the n-gram is: ``headline``, ``teaser``,
    ``headline+teaser`` (a bigram spanning both) or ``chars`` (a character
    n-gram); ``weight`` is the sum over feature channels of tf-idf value times
    model coefficient, exactly.
    """

    ngram: str
    field: str
    weight: float


@dataclass(slots=True)
class Prediction:
    """The answer for one headline.

    ``label`` is the top topic (``None`` when the model abstains), ``labels``
    every topic over its threshold, best first. ``explanations`` maps each
    returned topic to its strongest n-grams when explanations were asked for.
    """

    label: str | None
    score: float
    labels: tuple[LabelScore, ...]
    abstained: bool
    explanations: dict[str, tuple[Contribution, ...]] | None = None

    def answered(self, multilabel: bool) -> tuple[str, ...]:
        """The labels this prediction answers: a multi-label model's every listed label; a
        single-label model's top label alone (none when it abstains), whatever else is listed."""
        if multilabel:
            return tuple(score.label for score in self.labels)
        return () if self.label is None else (self.label,)

    def to_dict(self) -> dict:
        """The JSON shape used by ``predict --json``, the HTTP API and ``tag``."""
        # Per row of `tag`, so: round() is most of the cost, and the top label's score is the score.
        score, labels = round(self.score, 6), self.labels
        if len(labels) == 1 and labels[0].score == self.score:
            listed = [{"label": labels[0].label, "score": score}]
        else:
            listed = [{"label": s.label, "score": round(s.score, 6)} for s in labels]
        result = {"label": self.label, "score": score, "labels": listed, "abstained": self.abstained}
        if self.explanations is not None:
            result["explanations"] = {
                label: [{"ngram": c.ngram, "field": c.field, "weight": round(c.weight, 6)} for c in items]
                for label, items in self.explanations.items()
            }
        return result


def _row_summaries(scores: np.ndarray, limits: list[float]) -> tuple[list | None, list, list, list]:
    """``scores`` as lists if they were needed, and per row: the top score, the first label with it,
    and whether no other label reaches its limit."""
    if len(scores) == 1:  # numpy's per-call cost would be most of the time of one row
        rows = scores.tolist()
        top = max(rows[0])
        first = rows[0].index(top)
        return rows, [top], [first], [sum(map(ge, rows[0], limits)) == (top >= limits[first])]
    tops, firsts = scores.max(axis=1), scores.argmax(axis=1)
    limits = np.asarray(limits)
    alone = np.count_nonzero(scores >= limits, axis=1) == (tops >= limits[firsts])
    return None, tops.tolist(), firsts.tolist(), alone.tolist()


@dataclass
class TopicModel:
    """A fitted pipeline plus the decision rules applied to its probabilities.

    Parameters
    ----------
    pipeline
        Fitted ``Pipeline`` of ``features`` (a ``ColumnTransformer``) and
        ``classifier``: a :class:`~classifier.model.calibration.CalibratedLinearClassifier`
        around a linear SVM (a ``OneVsRestClassifier`` of them for multi-label
        models).
    labels
        Topic labels, in the classifier's column order.
    multilabel
        Whether each label is an independent yes/no decision.
    thresholds
        Per-label score a label needs to be listed in ``labels``.
    abstain_threshold
        The top score under which the model answers "don't know".
    """

    pipeline: Pipeline
    labels: tuple[str, ...]
    multilabel: bool
    thresholds: np.ndarray
    abstain_threshold: float = 0.0
    _feature_names: np.ndarray | None = field(default=None, repr=False)
    # (pipeline, its compiled scorer or None), set on first use. Not a field (no annotation), so
    # neither __init__ nor equality nor model files know about it.
    _compiled = None

    def __getstate__(self) -> dict:
        # The feature-name cache and the compiled scorer are derived and rebuilt on demand: model
        # files hold the fitted state only, and the same model always pickles to the same bytes.
        state = dict(self.__dict__)
        state["_feature_names"] = None
        state.pop("_compiled", None)
        return state

    # -- scores ---------------------------------------------------------------------------------------

    def transform(self, headlines: Sequence[str], teasers: Sequence[str] | None = None) -> sparse.csr_matrix:
        """Feature matrix of the given headlines (and teasers).

        Raises
        ------
        TypeError
            A headline or teaser that is not a string.
        """
        for texts in (headlines, () if teasers is None else teasers):
            if not all(isinstance(text, str) for text in texts):
                raise TypeError("headlines and teasers must be strings")
        with _fitted():
            return self.pipeline.named_steps["features"].transform(as_input(headlines, teasers))

    def scores(self, headlines: Sequence[str], teasers: Sequence[str] | None = None) -> np.ndarray:
        """Probabilities, shape (n, len(labels))."""
        scorer = self._scorer()
        if scorer is not None:
            return scorer.probabilities(headlines, teasers)
        return self._scores_from_features(self.transform(headlines, teasers))

    def prepare(self) -> None:
        """Build the compiled scorer now instead of on the first prediction.

        A server calls this right after loading, so that the first request does not
        pay for it and forked workers share the scorer copy-on-write.
        """
        self._scorer()

    def _scorer(self) -> CompiledScorer | None:
        """The compiled form of the pipeline (:mod:`classifier.model.scoring`), or ``None`` if it has none."""
        compiled = self._compiled
        if compiled is None or compiled[0] is not self.pipeline:
            with _SCORER_LOCK:
                compiled = self._compiled
                if compiled is None or compiled[0] is not self.pipeline:
                    compiled = self._compiled = (self.pipeline, compile_scorer(self.pipeline))
        return compiled[1]

    def _scores_from_features(self, features: sparse.csr_matrix) -> np.ndarray:
        classifier = self.pipeline.named_steps["classifier"]  # the pipeline's features need no checks
        return classifier.link(classifier.class_scores(features))

    # -- predictions ----------------------------------------------------------------------------------

    def predict(
        self,
        headlines: Sequence[str],
        teasers: Sequence[str] | None = None,
        *,
        top_k: int | None = None,
        threshold: float | None = None,
        abstain_threshold: float | None = None,
        explain: bool = False,
        explain_top: int = 8,
    ) -> list[Prediction]:
        """Predict topics for each headline.

        Parameters
        ----------
        top_k
            List at most this many topics per headline.
        threshold
            Score every listed topic must reach, instead of the per-label thresholds.
        abstain_threshold
            Overrides the model's abstain threshold for this call.
        explain
            Add the n-grams that pushed each listed topic up.
        """
        if top_k is not None and top_k < 1:
            raise ValueError("top_k must be at least 1")
        for name, value in (("threshold", threshold), ("abstain_threshold", abstain_threshold)):
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        label_thresholds = self.thresholds if threshold is None else np.full(len(self.labels), threshold)
        abstain_below = self.abstain_threshold if abstain_threshold is None else abstain_threshold
        if not explain:
            return self._decide(self.scores(headlines, teasers), label_thresholds, abstain_below, top_k)
        features = self.transform(headlines, teasers)
        predictions = self._decide(
            self._scores_from_features(features), label_thresholds, abstain_below, top_k
        )
        teasers = teasers if teasers is not None else [""] * len(headlines)
        for row, prediction in enumerate(predictions):
            if prediction.labels:
                explanations = {
                    s.label: self._explain_row(
                        features[row], s.label, headlines[row], teasers[row], explain_top
                    )
                    for s in prediction.labels
                }
                predictions[row] = Prediction(
                    prediction.label, prediction.score, prediction.labels, prediction.abstained, explanations
                )
        return predictions

    def decide(self, scores: np.ndarray) -> list[Prediction]:
        """The predictions :meth:`predict` makes from probabilities :meth:`scores` returned, with the
        model's own thresholds: for callers that need both without scoring twice."""
        return self._decide(scores, self.thresholds, self.abstain_threshold, None)

    def _decide(
        self, scores: np.ndarray, thresholds: np.ndarray, abstain_below: float, top_k: int | None
    ) -> list[Prediction]:
        """The decision rules, row by row: the top label, then every other label over its threshold.

        The listed labels are ranked by score (ties in label order), at most ``top_k`` of them; a row
        whose top score is under ``abstain_below`` lists none. Most rows list the top label alone,
        which the summaries of :func:`_row_summaries` tell without looking at the row again.
        """
        limits = np.asarray(thresholds).tolist()
        rows, tops, firsts, alone = _row_summaries(scores, limits)
        names, labels = self.labels, range(len(self.labels))
        predictions = []
        for number, top in enumerate(tops):
            if top < abstain_below:
                predictions.append(Prediction(None, top, (), True))
            elif alone[number]:
                name = names[firsts[number]]
                predictions.append(Prediction(name, top, (LabelScore(name, top),), False))
            else:
                if rows is None:  # made for the first row that lists more than its top label
                    rows = scores.tolist()
                row, first = rows[number], firsts[number]
                listed = sorted(compress(labels, map(ge, row, limits)), key=row.__getitem__, reverse=True)
                if not listed or listed[0] != first:
                    listed.insert(0, first)
                entries = tuple([LabelScore(names[label], row[label]) for label in listed[:top_k]])
                predictions.append(Prediction(names[first], top, entries, False))
        return predictions

    # -- explanations ---------------------------------------------------------------------------------

    def linear_terms(self, label: str) -> tuple[np.ndarray, float]:
        """Coefficient vector and intercept whose dot product gives ``label``'s decision score."""
        index = self.labels.index(label)
        classifier = self.pipeline.named_steps["classifier"]
        return classifier.coef_[index], float(classifier.intercept_[index])

    def contributions(self, headline: str, teaser: str, label: str) -> tuple[Contribution, ...]:
        """Every n-gram's exact contribution to ``label``'s decision score, largest first.

        Their sum plus the intercept from :meth:`linear_terms` is the decision score.
        """
        features = self.transform([headline], [teaser])
        return self._explain_row(features, label, headline, teaser, None, positive_only=False)

    def _explain_row(
        self,
        row: sparse.csr_matrix,
        label: str,
        headline: str,
        teaser: str,
        top: int | None,
        positive_only: bool = True,
    ) -> tuple[Contribution, ...]:
        """Contributions of one row's n-grams, merged across the word feature channels.

        A word n-gram feeds both the ``text`` and the ``headline`` channel (when the
        headline has a weight); users care about the n-gram, so its two weights are
        summed (still exact), and it is placed where it occurs: ``headline``,
        ``teaser``, or ``headline+teaser`` for a bigram spanning the two. With
        stemming, each channel spells a feature's words as the forms it met most; the
        n-gram is named as the row writes it, where it first occurs. Character
        n-grams keep the field ``chars``.
        """
        coef, _ = self.linear_terms(label)
        row = sparse.csr_matrix(row)
        names = self.feature_names()
        merged: dict[tuple[str, bool], float] = {}
        channels = self.pipeline.named_steps["features"].named_transformers_
        text_words = channels["text"][-1]
        # Per word channel: each n-gram of the row as the channel spells it → as the row writes it.
        written = {"text": _as_written(text_words, f"{headline} {teaser}")}
        if "headline" in channels:
            written["headline"] = _as_written(channels["headline"], headline)
        for index, weight in zip(row.indices, row.data * coef[row.indices], strict=True):
            channel, ngram = names[index].split("__", 1)
            if channel in written:
                ngram = written[channel].get(ngram, ngram)
            key = (ngram, channel == "chars")
            merged[key] = merged.get(key, 0.0) + float(weight)
        in_headline = set(_as_written(text_words, headline).values())
        teaser_ngrams = set(_as_written(text_words, teaser).values())
        result = []
        for (ngram, is_chars), weight in merged.items():
            if positive_only and weight <= 0:
                continue
            if is_chars:
                where = "chars"
            elif ngram in in_headline:
                where = "headline"
            else:
                where = "teaser" if ngram in teaser_ngrams else "headline+teaser"
            result.append(Contribution(ngram, where, weight))
        result.sort(key=lambda contribution: -contribution.weight)
        return tuple(result[:top])

    def feature_names(self) -> np.ndarray:
        """Names of the feature columns, as ``field__ngram``."""
        if self._feature_names is None:
            self._feature_names = self.pipeline.named_steps["features"].get_feature_names_out()
        return self._feature_names


def _as_written(words: FastWordTfidfVectorizer, text: str) -> dict[str, str]:
    """Each word n-gram of ``text`` as the ``words`` channel spells it → as ``text`` writes it (lower-cased,
    its first occurrence); the two are the same but for forms stemming merged."""
    tokens = word_tokens(text.lower())
    spelled = words.respelled(tokens)
    written: dict[str, str] = {}
    for order in range(words.ngram_range[0], words.ngram_range[1] + 1):
        for as_spelled, as_written in zip(
            ngram_windows(spelled, order), ngram_windows(tokens, order), strict=True
        ):
            written.setdefault(" ".join(as_spelled), " ".join(as_written))
    return written
