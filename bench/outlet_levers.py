"""Levers for quality on unseen outlets, each measured on leave one outlet out (issue 14).

Run from the repository root (it needs the datasets in ``../shared/data``)::

    .venv/bin/python bench/outlet_levers.py                       # every lever, every outlet
    .venv/bin/python bench/outlet_levers.py --lever base --lever C0.3 --only arise

For each held-out outlet it trains on the other five plus the starter corpus,
as ``bench/accuracy.py --outlets`` does, and scores the held-out outlet with
macro-F1 over the labels it has. A lever is one change to the recipe; levers
join with ``+`` (``balance+C0.3``). The features and the calibrated SVM are the
library's own (``build_features``, the classifier training fits, naive-Bayes
choice included); what a lever changes is done here, around them, so that a
lever is measured before it is built into ``train``:

* ``base``: the default recipe before issue 14 (C = 1, rows weighed alike, words unstemmed),
  fitted on every training row (no validation split).
* ``strip``: outlet fingerprints removed from every text before features:
  agency tags ("(Reuters)", "AP -"), stock-quote boilerplate, "| BBC …" suffixes,
  Inshorts' ": Report" endings.
* ``balance``: each source (starter corpus included) weighs the same in total.
* ``sqrt-class``: classes weighted by 1/sqrt(rows) instead of scikit-learn's "balanced" 1/rows.
* ``C0.3``, ``C0.1``: a stronger L2 penalty than the default C = 1.
* ``adapt``: vocabulary and IDF fitted on the training text and the held-out outlet's
  text (never its labels).
* ``priors``: the held-out outlet's topic mix estimated from its text alone (EM over the
  model's probabilities, Saerens et al. 2002) and the probabilities moved onto it.
* ``overlap``: overlapping topics trained as such: one calibrated SVM per topic (multi-label
  training), where a row with two topics (a fifth of the starter corpus's new rows) is a positive
  example of both instead of its first; the answer is the most probable topic.
* ``chars``: character 2-5-grams added to the features (the ``accurate`` profile).
* ``hw1``, ``hw0.25``, ``hw0``: the headline's own channel weighs 1, 0.25 or nothing (default 0.5)
  against the headline and teaser together: outlets differ most in their teasers.
* ``unigrams``: words only, no word pairs: pairs may be more an outlet's phrasing than its topics.
* ``teaser-sentence``: each teaser cut to its first sentence: outlets' teasers run from one
  line (HuffPost, AG News) to a whole summary (Inshorts, BBC).
* ``self-train0.9``, ``self-train0.7``: the held-out outlet's rows the model answers with at least
  this probability join the training rows with that answer as their label (weighed as one more
  source under ``balance``), and features and classifier are fitted again: self-training on the
  outlet's unlabelled text.
* ``min-df5``: only words and pairs seen in at least 5 training rows (default 2).
* ``stop-words``: scikit-learn's English stop words removed from every text: how often an
  outlet writes "the" or "of" says more about its style than its topics.
* ``stem``: every word replaced by its Snowball (Porter 2) English stem, so "elections",
  "elected" and "election" are one feature: outlets differ in the forms they write.
* ``no-nb``: the SVM without naive-Bayes scaling (the reference for ``lsa``).
* ``lsa``: 300 latent dimensions of the training rows' features (truncated SVD, latent semantic
  analysis) appended to them, without naive-Bayes scaling: words that share contexts share
  dimensions, so a word one outlet favours still lands near its topic's.
* ``dropout``: every training row also trains a second time with a third of its words dropped
  (each copy half the row's weight): a model that cannot count on any one word leans on more.
* ``stem-seen``: ``stem`` as a model can do it without stemming while it tags: a held-out
  outlet's word is taken to its stem only if the training rows have the word in that form;
  a form they never had is an unknown word, as every unseen word is without stemming.
* ``min-sources2``, ``min-sources3``: only the words and pairs that at least 2 (3) of the
  training sources use: what one outlet alone writes is its fingerprint, whatever its topic.

Results go to ``bench/results/outlet-levers.json`` (written after every outlet,
so an interrupted run continues where it stopped) and ``.txt``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import Stemmer
from accuracy_report import markdown_table
from protocols import OUTLETS, SHARED_DATA, leave_one_outlet_out
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.metrics import f1_score
from sklearn.preprocessing import normalize

from classifier.model.features import PROFILES, FeatureSettings, as_input, build_features
from classifier.model.tokens import word_tokens
from classifier.training import TrainingSettings, _fit_classifier, _targets

RESULTS = Path(__file__).resolve().parent / "results"
LEVERS = (
    "base",
    "strip",
    "balance",
    "sqrt-class",
    "C0.3",
    "C0.1",
    "adapt",
    "priors",
    "overlap",
    "chars",
    "hw1",
    "hw0.25",
    "hw0",
    "unigrams",
    "min-df5",
    "stop-words",
    "teaser-sentence",
    "self-train0.9",
    "self-train0.7",
    "stem",
    "stem-seen",
    "min-sources2",
    "min-sources3",
    "no-nb",
    "lsa",
    "dropout",
)
PENALTIES = {"C0.3": 0.3, "C0.1": 0.1}
SELF_TRAINING = {"self-train0.9": 0.9, "self-train0.7": 0.7}
HEADLINE_WEIGHTS = {"hw1": 1.0, "hw0.25": 0.25, "hw0": 0.0}
MIN_SOURCES = {"min-sources2": 2, "min-sources3": 3}
_AGENCIES = (
    r"Reuters|AP|AFP|Reuters\.com|Canadian Press|CP|SPACE\.com|Forbes\.com|TechWeb|Ziff Davis|"
    r"washingtonpost\.com|NewsFactor|PC World|eWEEK|Investor's Business Daily|The Motley Fool|"
    r"MarketWatch|US Weekly|Sports Network|CBS\.MW|Newsfactor|Space\.com|LiveScience\.com|ZDNet|InfoWorld"
)
FINGERPRINTS = (
    (re.compile(rf"\s*\((?:{_AGENCIES})\)\s*", re.I), " "),
    (
        re.compile(
            r"^\s*(?:[A-Z][A-Za-z .,'-]{0,40}\s*)?\((?:Reuters|AP|AFP|CP|Canadian Press)\)"
            r"\s*[-\u2013\u2014]+\s*"
        ),
        "",
    ),
    (re.compile(r"^\s*(?:Reuters|AP|AFP|Canadian Press|CP)\s*[-\u2013\u2014]+\s*"), ""),
    (re.compile(r"\(\s*[A-Z.]{1,6}\.[A-Z]{1,2}\s*:\s*Quote,\s*Profile,\s*Research\s*\)", re.I), " "),
    (re.compile(r"\s*:\s*(?:Reports?|Sources|Official|Govt|Media)\s*$", re.I), ""),
    (re.compile(r"\s*\|\s*BBC\s*\w*\s*$"), ""),
)


FIRST_SENTENCE = re.compile(r"(?s).*?(?:[.!?](?=\s+[A-Z\"'])|$)")
_STEMMER = Stemmer.Stemmer("english")
UNSEEN = "unseenformxq"
STOP_WORDS = re.compile(r"\b(?:" + "|".join(sorted(ENGLISH_STOP_WORDS)) + r")\b", re.I)


def strip_fingerprints(text: str) -> str:
    """``text`` without the outlet fingerprints of the ``strip`` lever."""
    for pattern, replacement in FINGERPRINTS:
        text = pattern.sub(replacement, text)
    return text.strip()


def _stemmed(text: str, known: set[str] | None = None) -> str:
    """``text`` as its lower-cased tokens' English stems, one space apart; tokens not ``known``
    (when given) as a word no vocabulary has."""
    tokens = word_tokens(text.lower())
    stems = _STEMMER.stemWords(tokens)
    if known is not None:
        stems = [stem if token in known else UNSEEN for token, stem in zip(tokens, stems, strict=True)]
    return " ".join(stems)


def _dropped_words(text: str, generator: np.random.Generator) -> str:
    """``text`` without a random third of its words."""
    words = text.split()
    kept = generator.random(len(words)) >= 1 / 3
    return " ".join(word for word, keep in zip(words, kept, strict=True) if keep)


def _used_by_sources(X, sources: np.ndarray, least: int) -> np.ndarray:
    """The columns of ``X`` that rows of at least ``least`` distinct ``sources`` use."""
    used = np.zeros(X.shape[1], dtype=int)
    for source in np.unique(sources):
        used += X[sources == source].getnnz(axis=0) > 0
    return np.flatnonzero(used >= least)


def _with_latent(X, latent: TruncatedSVD):
    """``X`` with its rows' unit-length latent dimensions appended."""
    return sparse.hstack([X, normalize(latent.transform(X))], format="csr")


def _inverse_share_weights(keys: np.ndarray, power: float) -> np.ndarray:
    """Each row weighted by (rows sharing its key) ** -power, scaled to a mean of 1."""
    counts = Counter(keys.tolist())
    weights = np.array([counts[key] ** -power for key in keys.tolist()])
    return weights * len(weights) / weights.sum()


def _move_to_target_priors(probabilities: np.ndarray, source_priors: np.ndarray) -> np.ndarray:
    """EM re-estimation of the class priors on unlabelled rows (Saerens, Latinne, Decaestecker 2002)."""
    priors, adjusted = source_priors.copy(), probabilities
    for _ in range(100):
        adjusted = probabilities * (priors / source_priors)
        adjusted /= adjusted.sum(axis=1, keepdims=True)
        estimate = adjusted.mean(axis=0)
        if np.abs(estimate - priors).max() < 1e-6:
            break
        priors = estimate
    return adjusted


def run_lever(lever: str, held_out: str) -> dict:
    """Train with ``lever`` on every outlet but ``held_out`` (plus the starter corpus) and score on it."""
    parts = set(lever.split("+"))
    unknown = parts - set(LEVERS)
    if unknown:
        raise ValueError(f"unknown lever {sorted(unknown)}: choose from {', '.join(LEVERS)}")
    protocol = leave_one_outlet_out(held_out)
    train, test, sources = protocol.train, protocol.test, np.array(protocol.train.row_sources)
    # What "auto" picks for these 30,000-odd rows; C as it was before train chose it, and the words
    # unstemmed as they were before stemming became the default (levers change them).
    settings = TrainingSettings(solver="svm", C=1.0, features=FeatureSettings(stemming=False))
    texts = [train.headlines, train.teasers, test.headlines, test.teasers]
    if "strip" in parts:
        texts = [[strip_fingerprints(text) for text in column] for column in texts]
    if "teaser-sentence" in parts:
        texts[1], texts[3] = (
            [FIRST_SENTENCE.match(text).group(0) for text in column] for column in texts[1::2]
        )
    if "stop-words" in parts:
        texts = [[STOP_WORDS.sub(" ", text) for text in column] for column in texts]
    if "stem" in parts:
        texts = [[_stemmed(text) for text in column] for column in texts]
    if "stem-seen" in parts:
        seen = {token for column in texts[:2] for text in column for token in word_tokens(text.lower())}
        texts = [[_stemmed(text) for text in column] for column in texts[:2]] + [
            [_stemmed(text, seen) for text in column] for column in texts[2:]
        ]
    headlines, teasers, test_headlines, test_teasers = texts
    weights = np.ones(len(train))
    if "dropout" in parts:
        generator = np.random.default_rng(0)
        headlines = headlines + [_dropped_words(text, generator) for text in headlines]
        teasers = teasers + [_dropped_words(text, generator) for text in teasers]
        sources = np.concatenate([sources, sources])
        weights = np.full(2 * len(train), 0.5)
    if "balance" in parts:
        weights *= _inverse_share_weights(sources, 1.0)
    if "sqrt-class" in parts:
        settings = replace(settings, class_weight=None)
        weights *= _inverse_share_weights(np.array([row[0] for row in train.labels]), 0.5)
    for name in parts & set(PENALTIES):
        settings = replace(settings, C=PENALTIES[name])
    if "min-df5" in parts:
        settings = replace(settings, features=replace(settings.features, min_df=5))
    if "unigrams" in parts:
        settings = replace(settings, features=replace(settings.features, word_ngrams=(1, 1)))
    for name in parts & set(HEADLINE_WEIGHTS):
        settings = replace(
            settings, features=replace(settings.features, headline_weight=HEADLINE_WEIGHTS[name])
        )
    if "chars" in parts:
        settings = replace(settings, features=PROFILES["accurate"])
    if "overlap" in parts:
        settings = replace(settings, multilabel=True)
    if parts & {"no-nb", "lsa"}:
        settings = replace(settings, naive_bayes=False)
    targets, _ = _targets(train, settings)
    if "dropout" in parts:
        targets = np.concatenate([targets, targets])
    features = build_features(settings.features)
    if "adapt" in parts:
        features.fit(as_input(headlines + test_headlines, teasers + test_teasers))
        X = features.transform(as_input(headlines, teasers))
    else:
        X = features.fit_transform(as_input(headlines, teasers), targets)
    columns = slice(None)
    for name in parts & set(MIN_SOURCES):
        columns = _used_by_sources(X, sources, MIN_SOURCES[name])
        X = X[:, columns]
    latent = None
    if "lsa" in parts:
        latent = TruncatedSVD(n_components=300, random_state=0).fit(X)
        X = _with_latent(X, latent)
    classifier = _fit_classifier(X, targets, settings, None if np.all(weights == 1) else weights)
    for name in parts & set(SELF_TRAINING):
        answers = classifier.predict_proba(features.transform(as_input(test_headlines, test_teasers)))
        confident = np.flatnonzero(answers.max(axis=1) >= SELF_TRAINING[name])
        headlines = headlines + [test_headlines[i] for i in confident]
        teasers = teasers + [test_teasers[i] for i in confident]
        targets = np.append(targets, np.asarray(classifier.classes_)[answers[confident].argmax(axis=1)])
        sources = np.append(sources, np.full(len(confident), sources.max() + 1))
        weights = _inverse_share_weights(sources, 1.0) if "balance" in parts else np.ones(len(sources))
        features = build_features(settings.features)
        X = features.fit_transform(as_input(headlines, teasers), targets)
        classifier = _fit_classifier(X, targets, settings, None if np.all(weights == 1) else weights)
    test_X = features.transform(as_input(test_headlines, test_teasers))[:, columns]
    probabilities = classifier.predict_proba(test_X if latent is None else _with_latent(test_X, latent))
    if "priors" in parts:
        probabilities = _move_to_target_priors(probabilities, classifier.predict_proba(X).mean(axis=0))
    labels = _targets(train, settings)[1] if settings.multilabel else classifier.classes_
    predicted = np.asarray(labels)[probabilities.argmax(axis=1)]
    scored = sorted({label for row in test.labels for label in row})
    per_label = f1_score(
        [row[0] for row in test.labels], predicted, labels=scored, average=None, zero_division=0
    )
    return {
        "accuracy": float(np.mean([label in row for label, row in zip(predicted, test.labels, strict=True)])),
        "macro_f1": float(np.mean(per_label)),
        "per_label_f1": dict(zip(scored, map(float, per_label), strict=True)),
        "predicted": dict(Counter(predicted.tolist())),
    }


def render(results: dict) -> str:
    """One row per lever: each outlet's macro-F1, the means, and the change from ``base``."""
    outlets = list(OUTLETS)
    complete = {lever: runs for lever, runs in results.items() if all(o in runs for o in outlets)}
    base = complete.get("base")
    header = ["lever", *outlets, "mean acc", "mean macro-F1", "Δ acc", "Δ macro-F1"]
    rows = []
    for lever, runs in complete.items():
        accuracy = np.mean([runs[o]["accuracy"] for o in outlets])
        macro = np.mean([runs[o]["macro_f1"] for o in outlets])
        change = ["", ""]
        if base is not None:
            change = [
                f"{100 * (accuracy - np.mean([base[o]['accuracy'] for o in outlets])):+.1f}",
                f"{100 * (macro - np.mean([base[o]['macro_f1'] for o in outlets])):+.1f}",
            ]
        rows.append(
            [
                lever,
                *(f"{runs[o]['macro_f1']:.3f}" for o in outlets),
                f"{accuracy:.3f}",
                f"{macro:.3f}",
                *change,
            ]
        )
    partial = sorted(set(results) - set(complete))
    note = f"\n\nIncomplete (not every outlet run): {', '.join(partial)}" if partial else ""
    return (
        "## Levers on leave one outlet out (macro-F1 per held-out outlet; Δ in points from base)\n\n"
        + markdown_table(header, rows)
        + note
        + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--lever", action="append", help=f"Lever to run, repeatable; join with + ({', '.join(LEVERS)})."
    )
    parser.add_argument(
        "--only", action="append", choices=list(OUTLETS), help="Held-out outlet (repeatable)."
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help="Folder for the results (default: %(default)s)."
    )
    arguments = parser.parse_args(argv)
    if not SHARED_DATA.is_dir():
        parser.error(f"{SHARED_DATA} is missing: the benchmark needs the shared datasets")
    path = arguments.out / "outlet-levers.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    for lever in arguments.lever or LEVERS:
        for held_out in arguments.only or OUTLETS:
            if held_out in results.get(lever, {}):
                continue
            started = time.perf_counter()
            outcome = run_lever(lever, held_out)
            outcome["seconds"] = time.perf_counter() - started
            results.setdefault(lever, {})[held_out] = outcome
            arguments.out.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(results, indent=1) + "\n")
            print(
                f"{lever} -> {held_out}: accuracy {outcome['accuracy']:.3f}, "
                f"macro-F1 {outcome['macro_f1']:.3f} ({outcome['seconds']:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    table = render(results)
    (arguments.out / "outlet-levers.txt").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
