"""The OpenAPI 3.1 document served at ``/openapi.json``.

Request bodies come from the pydantic models that validate them, so the two
cannot drift; response schemas are written here and checked against real
responses by ``tests/test_service_openapi.py``.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import version

from pydantic.json_schema import models_json_schema

from service.schemas import BatchRequest, SingleRequest

__all__ = ["document"]

_REF = "#/components/schemas/{model}"


def _ref(name: str) -> dict:
    return {"$ref": _REF.format(model=name)}


def _json(schema: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _problem(description: str) -> dict:
    return {"description": description, "content": {"application/problem+json": {"schema": _ref("Problem")}}}


_NULLABLE_STRING = {"type": ["string", "null"]}
_PREDICTION_FIELDS = {
    "label": {**_NULLABLE_STRING, "description": "The top topic; null when the model abstains."},
    "score": {"type": "number"},
    "labels": {"type": "array", "items": _ref("LabelScore")},
    "abstained": {"type": "boolean"},
    "explanations": {
        "type": "object",
        "additionalProperties": {"type": "array", "items": _ref("Contribution")},
    },
}
_PREDICTION_REQUIRED = ["label", "score", "labels", "abstained"]


def _object(properties: dict, required: list[str] | None = None) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


_RESPONSE_SCHEMAS = {
    "LabelScore": _object({"label": {"type": "string"}, "score": {"type": "number"}}),
    "Contribution": _object(
        {
            "ngram": {"type": "string"},
            "field": {"enum": ["headline", "teaser", "headline+teaser", "chars"]},
            "weight": {"type": "number"},
        }
    ),
    "TagResult": _object(
        {"model": {"type": "string"}, **_PREDICTION_FIELDS}, ["model", *_PREDICTION_REQUIRED]
    ),
    "BatchResult": _object(
        {
            "model": {"type": "string"},
            "results": {
                "type": "array",
                "items": _object({"id": {}, **_PREDICTION_FIELDS}, ["id", *_PREDICTION_REQUIRED]),
            },
        }
    ),
    "Labels": _object(
        {
            "model": {"type": "string"},
            "taxonomy": _NULLABLE_STRING,
            "labels": {
                "type": "array",
                "items": _object(
                    {
                        "label": {"type": "string"},
                        "description": _NULLABLE_STRING,
                        "iptc": _NULLABLE_STRING,
                        "threshold": {"type": "number"},
                    }
                ),
            },
        }
    ),
    "Model": _object(
        {
            "id": {"type": "string"},
            "created": {"type": "string"},
            "labels": {"type": "array", "items": {"type": "string"}},
            "multilabel": {"type": "boolean"},
            "thresholds": {"type": "object", "additionalProperties": {"type": "number"}},
            "abstain_threshold": {"type": "number"},
            "metrics": {"type": ["object", "null"], "description": "Validation metrics from training."},
            "sources": {"type": "array", "items": {"type": "object", "required": ["file", "rows", "sha256"]}},
            "versions": {"type": "object", "additionalProperties": {"type": "string"}},
        }
    ),
    "Status": _object({"status": {"type": "string"}, "model": {"type": "string"}}, ["status"]),
    "Reloaded": _object({"model": {"type": "string"}, "previous": _NULLABLE_STRING}),
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details; 413 and 422 name the failing field (and item index).",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "field": {"type": "string", "examples": ["items[3].headline"]},
            "item": {"type": "integer", "minimum": 0},
            "errors": {"type": "array", "items": {"type": "object", "required": ["field", "detail"]}},
            "kept": {**_NULLABLE_STRING, "description": "409: the model that keeps serving."},
        },
        "required": ["type", "title", "status", "detail"],
    },
}

_KEYED = {"security": [{"apiKey": []}, {}]}
_NO_MODEL = _problem("No model is loaded yet.")
_UNAUTHORIZED = _problem("HEADLINE_TAGGER_API_KEYS is set and the request has no accepted key.")


def _paths() -> dict:
    tag_body = {"oneOf": [_ref("SingleRequest"), _ref("BatchRequest")]}
    return {
        "/v1/tag": {
            "post": {
                "summary": "Tag one headline, or a batch of up to 1,000 in input order.",
                **_KEYED,
                "requestBody": {"required": True, "content": {"application/json": {"schema": tag_body}}},
                "responses": {
                    "200": {
                        "description": "TagResult for one headline, BatchResult for a batch.",
                        "content": {
                            "application/json": {
                                "schema": {"oneOf": [_ref("TagResult"), _ref("BatchResult")]}
                            }
                        },
                    },
                    "400": _problem("The body is not valid JSON."),
                    "401": _UNAUTHORIZED,
                    "413": _problem(
                        "Over a limit (defaults: 1 MiB body, 1,000 items, 2,000 characters a field)."
                    ),
                    "415": _problem("The body is not sent as application/json."),
                    "422": _problem("A field is missing, empty or of the wrong type."),
                    "503": _NO_MODEL,
                },
            }
        },
        "/v1/labels": {
            "get": {
                "summary": "The model's topics with descriptions, IPTC codes and thresholds.",
                **_KEYED,
                "responses": {"200": _json("Labels", "The topics."), "401": _UNAUTHORIZED, "503": _NO_MODEL},
            }
        },
        "/v1/model": {
            "get": {
                "summary": "The model's manifest, without server paths.",
                **_KEYED,
                "responses": {"200": _json("Model", "The manifest."), "401": _UNAUTHORIZED, "503": _NO_MODEL},
            }
        },
        "/v1/admin/reload": {
            "post": {
                "summary": "Load models/current again and swap it in; a broken model is refused.",
                "security": [{"adminToken": []}],
                "responses": {
                    "200": _json("Reloaded", "The new model serves."),
                    "401": _problem("Missing or wrong admin token."),
                    "404": _problem("HEADLINE_TAGGER_ADMIN_TOKEN is not set: the endpoint is disabled."),
                    "409": _problem("The model failed to load; the previous one keeps serving."),
                },
            }
        },
        "/livez": {"get": {"summary": "Liveness.", "responses": {"200": _json("Status", "Up.")}}},
        "/readyz": {
            "get": {
                "summary": "Readiness: a model is loaded.",
                "responses": {"200": _json("Status", "Ready."), "503": _NO_MODEL},
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics.",
                "responses": {"200": {"description": "Text exposition.", "content": {"text/plain": {}}}},
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document.",
                "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/json": {}}}},
            }
        },
        "/": {
            "get": {
                "summary": "The web page for tagging pasted headlines.",
                "responses": {"200": {"description": "HTML.", "content": {"text/html": {}}}},
            }
        },
    }


@cache
def document() -> dict:
    """The OpenAPI document (built once)."""
    _, request_schemas = models_json_schema(
        [(SingleRequest, "validation"), (BatchRequest, "validation")], ref_template=_REF
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "headline-tagger",
            "version": version("headline-tagger"),
            "description": "Tags news headlines with topics. Every error is application/problem+json; "
            "unknown URLs answer 404 and wrong methods 405, in the same shape.",
        },
        "paths": _paths(),
        "components": {
            "schemas": {**request_schemas["$defs"], **_RESPONSE_SCHEMAS},
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "One of HEADLINE_TAGGER_API_KEYS.",
                },
                "adminToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "HEADLINE_TAGGER_ADMIN_TOKEN.",
                },
            },
        },
    }
