"""The topic model: features, the calibrated linear classifier, and fast scoring of a fitted pipeline.

* :mod:`~classifier.model.tokens`: the one tokenizer of fitting, transforming, scoring and explaining.
* :mod:`~classifier.model.features`: TF-IDF features over headline and teaser.
* :mod:`~classifier.model.word_tfidf`: the fast word vectorizer, a batch transformed at once.
* :mod:`~classifier.model.vocabulary`: word n-gram counts, batch by batch, that fit its vocabulary.
* :mod:`~classifier.model.word_forms`: which word forms count as one token (stemming).
* :mod:`~classifier.model.ngramindex`: the hash table the fast paths find n-grams in.
* :mod:`~classifier.model.calibration`: one linear model whose scores become probabilities.
* :mod:`~classifier.model.scoring`: the compiled scorer, the fitted pipeline as plain tables.
* :mod:`~classifier.model.topic_model`: :class:`TopicModel`, predictions, thresholds, explanations.

Nothing is imported here, so that ``import classifier.model.X`` loads scikit-learn
only when ``X`` needs it.
"""
