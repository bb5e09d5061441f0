"""The versioned JSON API: ``POST /v1/tag``, ``GET /v1/labels``, ``GET /v1/model``.

Each view reads the current model once, parses the request, makes one call to
:meth:`classifier.model.topic_model.TopicModel.predict` (or reads the manifest) and builds
the answer with a model of :mod:`service.responses`; the core never sees Flask.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, current_app, g, request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from service import responses
from service.auth import api_sender
from service.errors import Problem
from service.holder import LoadedModel
from service.sampling import SAMPLER
from service.schemas import BatchRequest, Limits, parse_tag_request

__all__ = ["LIMITS", "bp", "current_model", "json_body", "limits_of"]

LIMITS = "headline_tagger_limits"  # the key of the app's Limits in app.extensions

bp = Blueprint("api", __name__, url_prefix="/v1")


@bp.before_request
def _check_api_key() -> None:
    api_sender()


def current_model() -> LoadedModel:
    """The model answering this request, or a 503 problem while none is loaded."""
    loaded = current_app.extensions["headline_tagger"].current
    if loaded is None:
        raise Problem(503, "No model is loaded yet; see the service log.", slug="no-model", title="No model")
    g.model_id = loaded.manifest.model_id
    return loaded


@bp.post("/tag")
def tag():
    """Tag one headline (``{"headline", "teaser"}``) or a batch (``{"items": [...]}``)."""
    body = parse_tag_request(json_body(), current_app.extensions[LIMITS])
    loaded = current_model()
    items = body.items if isinstance(body, BatchRequest) else [body]
    headlines, teasers = [item.headline for item in items], [item.teaser or "" for item in items]
    predictions = loaded.model.predict(
        headlines, teasers, top_k=body.top_k, threshold=body.threshold, explain=body.explain
    )
    g.predictions = predictions
    current_app.extensions[SAMPLER].offer(loaded, headlines, teasers)
    model_id = loaded.manifest.model_id
    if not isinstance(body, BatchRequest):
        return responses.TagResult(model=model_id, **predictions[0].to_dict())
    # A literal per item: a TypedDict call would build each dict twice, once for its keyword arguments.
    results: list[responses.BatchItemResult] = [
        {"id": item.id, **prediction.to_dict()} for item, prediction in zip(items, predictions, strict=True)
    ]
    return responses.BatchResult(model=model_id, results=results)


def limits_of(config: Mapping[str, object]) -> Limits:
    """The request limits the settings set; read once, when the app is built, not on every request."""
    return Limits(max_items=int(config["MAX_ITEMS"]), max_field_chars=int(config["MAX_FIELD_CHARS"]))


def json_body() -> bytes:
    """The raw body, never read past ``MAX_CONTENT_LENGTH``; 413 when it is over, 415 unless it is JSON.

    A Content-Length over the limit is refused before anything is read. A
    chunked body has no length to check up front: werkzeug stops reading at the
    limit and returns what it read, so a chunked body that fills the limit is
    taken to be over it. A server that ends the input stream itself (gunicorn
    sets ``wsgi.input_terminated``) is read directly, as werkzeug would read it
    once it had built its wrapper: the wrapper cost a twentieth of a
    one-headline request's time in a gunicorn worker.
    """
    if not request.is_json:
        raise Problem(415, "Send the body as JSON, with 'Content-Type: application/json'.")
    length, limit = request.content_length, current_app.config["MAX_CONTENT_LENGTH"]
    if length is not None and length > limit:
        raise RequestEntityTooLarge()
    environ = request.environ
    if length is None or "wsgi.input_terminated" not in environ:
        raw = request.get_data(cache=False)
        if length is None and len(raw) >= limit:
            raise RequestEntityTooLarge()
        return raw
    try:
        return environ["wsgi.input"].read(length)
    except (OSError, ValueError):  # what werkzeug's wrapper turns into a 400
        raise ClientDisconnected() from None


@bp.get("/labels")
def labels():
    """The model's topics, with description, IPTC code and threshold of each."""
    loaded = current_model()
    topics = {topic.label: topic for topic in loaded.taxonomy.topics} if loaded.taxonomy else {}
    manifest = loaded.manifest
    return responses.Labels(
        model=manifest.model_id,
        taxonomy=loaded.taxonomy.name if loaded.taxonomy else None,
        labels=[
            responses.LabelInfo(
                label=label,
                description=topics[label].description if label in topics else None,
                iptc=topics[label].iptc if label in topics else None,
                threshold=manifest.thresholds[label],
            )
            for label in manifest.labels
        ],
    )


@bp.get("/model")
def model():
    """The manifest, without file paths: id, creation time, labels, metrics, sources, versions."""
    manifest = current_model().manifest
    return responses.Model(
        id=manifest.model_id,
        created=manifest.created,
        labels=manifest.labels,
        multilabel=manifest.multilabel,
        thresholds=manifest.thresholds,
        abstain_threshold=manifest.abstain_threshold,
        metrics=manifest.validation_metrics,
        sources=responses.public_sources(manifest.sources),
        versions=manifest.versions,
    )
