"""Probes and self-description: ``/livez``, ``/readyz``, ``/metrics``, ``/openapi.json``.

None of these need a key: orchestrators and Prometheus call them. ``/readyz``
is 503 until a model is loaded, so traffic is only routed to a worker that can
answer.
"""

from __future__ import annotations

from flask import Blueprint, current_app

from service import responses
from service.api import current_model
from service.openapi import document

__all__ = ["bp"]

bp = Blueprint("health", __name__)


@bp.get("/livez")
def livez():
    """The process is up and answering."""
    return responses.Status(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready when a model is loaded; 503 before."""
    return responses.Status(status="ready", model=current_model().manifest.model_id)


@bp.get("/metrics")
def metrics():
    """Prometheus text exposition of every worker's counters."""
    body, content_type = current_app.extensions["headline_tagger_telemetry"].exposition()
    return current_app.response_class(body, content_type=content_type)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this service."""
    return document()
