"""The topic model: features, the calibrated linear classifier, and fast scoring of a fitted pipeline.

* :mod:`~classifier.model.tokens`: the one tokenizer of fitting, transforming, scoring and explaining.
* :mod:`~classifier.model.features`: TF-IDF features over headline and teaser, and the fast vectorizer.
* :mod:`~classifier.model.ngramindex`: the hash table the fast paths find n-grams in.
* :mod:`~classifier.model.calibration`: one linear model whose scores become probabilities.
* :mod:`~classifier.model.scoring`: the compiled scorer, the fitted pipeline as plain tables.
* :mod:`~classifier.model.topic_model`: :class:`TopicModel`, predictions, thresholds, explanations.

Nothing is imported here, so that ``import classifier.model.X`` loads scikit-learn
only when ``X`` needs it.
"""
