"""Request sampling for review: a random share of the headlines ``/v1/tag`` answers, kept with the model's
answer and how unsure it was, so that editors can review the most uncertain recent requests.

Off unless ``REVIEW_SAMPLE_RATE`` is above 0 (it keeps the text of requests, which an operator must
choose to do). Each tagged item is kept with that probability; its uncertainty is the margin that
``headline-tagger review`` ranks by (:func:`classifier.review.uncertainty`), computed for the kept
items only. Kept items wait in the worker and go to the corrections store in one transaction once
:data:`FLUSH_ITEMS` are waiting or the oldest has waited :data:`FLUSH_SECONDS` (checked when a
request is answered), and when the worker exits; the store keeps the newest ``REVIEW_SAMPLE_KEEP``.
Sampling never fails a request: a store that cannot be used loses the waiting samples, with a
warning in the log.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Sequence

import numpy as np

from classifier.errors import FeedbackStoreError
from classifier.feedback.corrections import ReviewSample
from classifier.review import uncertainty
from service.holder import LoadedModel
from service.store import StoreHolder

__all__ = ["FLUSH_ITEMS", "FLUSH_SECONDS", "SAMPLER", "RequestSampler"]

log = logging.getLogger(__name__)

SAMPLER = "headline_tagger_sampler"  # the key of the app's RequestSampler in app.extensions
FLUSH_ITEMS = 20
FLUSH_SECONDS = 5.0


class RequestSampler:
    """Keeps each tagged item with probability ``rate`` (0 turns sampling off) in ``stores``."""

    def __init__(self, rate: float, keep: int, stores: StoreHolder) -> None:
        self.rate, self.keep, self.stores = rate, keep, stores
        self._random = random.Random()
        self._waiting: list[ReviewSample] = []
        self._first_waiting = 0.0
        self._lock = threading.Lock()

    def offer(self, loaded: LoadedModel, headlines: Sequence[str], teasers: Sequence[str]) -> None:
        """Keep a random share of these tagged items; write the waiting ones when it is time."""
        if self.rate <= 0:
            return
        picked = [index for index in range(len(headlines)) if self._random.random() < self.rate]
        if not picked:
            return
        model = loaded.model
        scores = model.scores([headlines[i] for i in picked], [teasers[i] for i in picked])
        values = uncertainty(model, scores, "margin", np.random.default_rng())
        # The model's own answer, with its thresholds: the request's top_k or threshold may have
        # shaped what the client saw, and the review page shows and pre-ticks the model's guess.
        samples = [
            ReviewSample(
                headline=headlines[index],
                teaser=teasers[index],
                model_id=loaded.manifest.model_id,
                label=prediction.label,
                score=float(prediction.score),
                labels=tuple((item.label, float(item.score)) for item in prediction.labels),
                uncertainty=float(value),
            )
            for index, prediction, value in zip(picked, model.decide(scores), values, strict=True)
        ]
        with self._lock:
            if not self._waiting:
                self._first_waiting = time.monotonic()
            self._waiting += samples
            due = len(self._waiting) >= FLUSH_ITEMS or time.monotonic() - self._first_waiting >= FLUSH_SECONDS
        if due:
            self.flush()

    def flush(self) -> None:
        """Write the waiting samples now (a worker calls this as it exits)."""
        with self._lock:
            waiting, self._waiting = self._waiting, []
        if not waiting:
            return
        try:
            with self.stores.using() as store:
                store.add_samples(waiting, keep=self.keep)
        except FeedbackStoreError as error:
            log.warning("%d request samples for review were not kept: %s", len(waiting), error)
