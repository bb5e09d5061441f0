"""Prometheus metrics and the structured request log: one JSON line per request.

Counters: requests by endpoint, method and status; a latency histogram by
endpoint; headlines tagged; predictions by top label (abstentions apart);
corrections stored by kind, source and model. The
model id is reported as ``headline_tagger_model_info{model_id=...} 1``. Every
label has a bounded set of values: a method HTTP does not define counts as
``OTHER``, and a URL no route matches as ``(unmatched)``, so a client cannot
grow the series (or the files they live in) without end.

Under gunicorn, ``headline-tagger serve`` sets ``PROMETHEUS_MULTIPROC_DIR``
before anything imports ``prometheus_client``, so every worker writes its
counts to files there and ``/metrics`` adds them up, whichever worker answers.

The log line has method, path (never the query string), status, duration,
items tagged and model id; never headers, so never a token or an API key.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter as Tally
from operator import attrgetter
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from classifier.jsontext import text_json
from service.holder import ModelHolder

__all__ = ["Telemetry"]

request_log = logging.getLogger("service.requests")

_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
_LABEL = attrgetter("label")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})


class _ModelInfo:
    """A collector reporting the id of the model this process serves."""

    def __init__(self, holder: ModelHolder) -> None:
        self._holder = holder

    def collect(self):
        info = GaugeMetricFamily("headline_tagger_model_info", "The model being served.", labels=["model_id"])
        if self._holder.current is not None:
            info.add_metric([self._holder.current.manifest.model_id], 1)
        yield info


class Telemetry:
    """The metrics of one app, and the hooks that record every request into them and into the log."""

    def __init__(self, holder: ModelHolder) -> None:
        self._holder = holder
        disable_created_metrics()  # no *_created series: they double the output and say little
        self.registry = CollectorRegistry()
        self._model_info = _ModelInfo(holder)
        self.registry.register(self._model_info)
        prefix, registry = "headline_tagger_", self.registry
        labels = ["endpoint", "method", "status"]
        self.requests = Counter(prefix + "requests", "HTTP requests answered.", labels, registry=registry)
        self.latency = Histogram(
            prefix + "request_duration_seconds",
            "Time to answer.",
            ["endpoint"],
            buckets=_BUCKETS,
            registry=registry,
        )
        self.items = Counter(prefix + "items_tagged", "Headlines tagged.", registry=registry)
        self.predictions = Counter(
            prefix + "predictions", "Top topics predicted.", ["label"], registry=registry
        )
        self.abstentions = Counter(
            prefix + "abstentions", "Headlines the model abstained on.", registry=registry
        )
        # One series per kind, source and served model: a model's agreement with the newsroom is its
        # accepted corrections over all of them.
        self.corrections = Counter(
            prefix + "corrections",
            "Corrections stored, by kind, source and the model whose prediction they record.",
            ["kind", "source", "model"],
            registry=registry,
        )
        # Each labelled series, once looked up: labels() takes a lock and checks its values every time.
        self._series: dict[tuple, Any] = {}

    def init_app(self, app: Flask) -> None:
        """Time every request of ``app``, count it, and log it."""
        app.extensions["headline_tagger_telemetry"] = self
        app.before_request(_start_clock)
        app.after_request(self._record)

    def _record(self, response: Response) -> Response:
        # The request and g once each: every access through their proxies costs a context lookup.
        req, ctx = request._get_current_object(), g._get_current_object()
        seconds = time.perf_counter() - ctx.get("started", time.perf_counter())
        rule, method, status = req.url_rule, req.method, response.status_code
        endpoint = rule.rule if rule else "(unmatched)"
        self._labelled(self.requests, endpoint, method if method in _METHODS else "OTHER", str(status)).inc()
        self._labelled(self.latency, endpoint).observe(seconds)
        predictions = ctx.get("predictions", ())
        if predictions:
            self._count(predictions)
        for correction in ctx.get("corrections", ()):
            self._labelled(self.corrections, correction.kind, correction.source, correction.model_id).inc()
        if not request_log.isEnabledFor(logging.INFO):  # e.g. a WSGI server that set up no logging
            return response
        current = self._holder.current
        model = ctx.get("model_id") or (current.manifest.model_id if current else None)
        # The JSON of {"time", "method", "path", "status", "duration_ms", "items", "model"}, spliced
        # rather than dumped from a dict: the log line was a sixth of a one-headline request's cost.
        request_log.info(
            f'{{"time": "{_now()}", "method": {text_json(method)}, "path": {text_json(req.path)}, '
            f'"status": {status}, "duration_ms": {round(seconds * 1000, 2)!r}, "items": {len(predictions)}, '
            f'"model": {text_json(model)}}}'
        )
        return response

    def _count(self, predictions: list) -> None:
        """Count the headlines tagged, and each top label (abstentions apart)."""
        self.items.inc(len(predictions))
        labels = Tally(map(_LABEL, predictions)) if len(predictions) > 1 else {predictions[0].label: 1}
        for label, count in labels.items():
            if label is None:
                self.abstentions.inc(count)
            else:
                self._labelled(self.predictions, label).inc(count)

    def _labelled(self, metric: Counter | Histogram, *values: str) -> Any:
        """``metric.labels(*values)``, looked up once."""
        key = (metric, *values)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = metric.labels(*values)
        return series

    def exposition(self) -> tuple[bytes, str]:
        """The text of ``/metrics`` and its content type: every worker's counts under gunicorn."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            registry.register(self._model_info)
        else:
            registry = self.registry
        return generate_latest(registry), CONTENT_TYPE_LATEST


def _start_clock() -> None:
    g.started = time.perf_counter()


def _now() -> str:
    """The local time to the second, as the log line shows it; formatted once a second, not per request."""
    second = int(time.time())
    if second != _clock[0]:
        _clock[:] = [second, time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(second))]
    return _clock[1]


_clock: list = [None, ""]  # the second last formatted, and its text
