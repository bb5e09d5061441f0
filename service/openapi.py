"""The OpenAPI 3.1 document served at ``/openapi.json``.

Every schema in it is generated: request bodies from the pydantic models that
validate them (:mod:`service.schemas`), answers from the models the views
build them with (:mod:`service.responses`). :func:`answer_model` gives the
model of each documented answer, for the tests to validate real answers with.
"""

from __future__ import annotations

import operator
from functools import cache, reduce
from importlib.metadata import version

from pydantic import TypeAdapter

from classifier.inputs.uploads import UPLOAD_FORMATS
from service import responses
from service.feedback import MAX_PAGE
from service.files import DOWNLOADS
from service.schemas import LARGEST_INTEGER, BatchRequest, FeedbackBatch, FeedbackRequest, SingleRequest

__all__ = ["answer_model", "document"]

_REF = "#/components/schemas/{model}"


def _ref(model: type) -> dict:
    return {"$ref": _REF.format(model=model.__name__)}


def _json(description: str, *models: type) -> dict:
    schema = _ref(models[0]) if len(models) == 1 else {"oneOf": [_ref(model) for model in models]}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problem(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref(responses.Problem)}},
    }


_KEYED = {"security": [{"apiKey": []}, {}]}
_NO_MODEL = _problem("No model is loaded yet.")
_UNAUTHORIZED = _problem("HEADLINE_TAGGER_API_KEYS is set and the request has no accepted key.")
_STORE_DOWN = _problem("The corrections store cannot be used (missing folder, locked, read-only, corrupt).")
# gunicorn refuses a request line over its limit itself, before the app sees it, with an HTML page.
_URI_TOO_LONG = {
    "description": "The request line is over gunicorn's limit of 4,094 bytes (its own HTML answer).",
    "content": {"text/html": {}},
}


def _query(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _feedback() -> dict:
    """``POST /v1/feedback`` (API keys, like /v1/tag) and ``GET /v1/feedback`` (admin token)."""
    body = {"oneOf": [_ref(FeedbackRequest), _ref(FeedbackBatch)]}
    return {
        "post": {
            "summary": "Store corrections: the topics headlines really have; each records the served "
            "model's id and its prediction now.",
            **_KEYED,
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {
                "201": _json(
                    "Every correction is stored; their ids, in input order.", responses.FeedbackStored
                ),
                "400": _problem("The body is not valid JSON."),
                "401": _UNAUTHORIZED,
                "413": _problem(
                    "Over a limit (defaults: 1 MiB body, 1,000 items, 2,000 characters a field)."
                ),
                "415": _problem("The body is not sent as application/json."),
                "422": _problem("A field is missing or of the wrong type, or a label is not the model's."),
                "503": _problem(
                    "No model is loaded yet, or the corrections store cannot be used: nothing was stored."
                ),
            },
        },
        "get": {
            "summary": "Page through the stored corrections, oldest first.",
            "security": [{"adminToken": []}],
            "parameters": [
                _query(
                    "after",
                    "Only corrections with a larger id: the next of the previous page.",
                    {"type": "integer", "minimum": 0, "maximum": LARGEST_INTEGER, "default": 0},
                ),
                _query(
                    "since",
                    "Only corrections made at or after this RFC 3339 date (midnight UTC) or date-time.",
                    {
                        "anyOf": [
                            {"type": "string", "format": "date"},
                            {"type": "string", "format": "date-time"},
                        ],
                        "examples": ["2026-12-04", "2026-12-04T09:30:00+01:00"],
                    },
                ),
                _query(
                    "limit",
                    "At most this many corrections.",
                    {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 100},
                ),
            ],
            "responses": {
                "200": _json("A page of corrections.", responses.FeedbackPage),
                "401": _problem("Missing or wrong admin token."),
                "404": _problem("HEADLINE_TAGGER_ADMIN_TOKEN is not set: the endpoint is disabled."),
                "414": _URI_TOO_LONG,
                "422": _problem("A parameter is out of range, not a time, or unknown."),
                "503": _STORE_DOWN,
            },
        },
    }


def _files() -> dict:
    """``POST /v1/files``: an uploaded file tagged, as JSON or, by Accept, the file ``tag`` writes."""
    field_name = {"type": "string", "maxLength": 200}
    form = {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {"type": "string", "contentMediaType": "application/octet-stream"},
            "format": {
                "type": "string",
                "enum": list(UPLOAD_FORMATS),
                "description": "Default: the file name's.",
            },
            "headline_field": field_name | {"description": "Default: headline."},
            "teaser_field": field_name | {"description": "Default: teaser (absent: no teaser)."},
            "id_field": field_name | {"description": "Default: none."},
        },
    }
    downloads = {media: {} for media in DOWNLOADS}
    return {
        "post": {
            "summary": "Tag an uploaded CSV, TSV or JSON-lines file (up to MAX_UPLOAD_ROWS rows and "
            "MAX_UPLOAD_BYTES bytes); Accept: text/csv or application/x-ndjson downloads the tagged file.",
            **_KEYED,
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": form}}},
            "responses": {
                "200": {
                    "description": "The rows, tagged: FileResult, or the CSV or JSON lines `tag` writes.",
                    "content": {"application/json": {"schema": _ref(responses.FileResult)}, **downloads},
                },
                "401": _UNAUTHORIZED,
                "413": _problem(
                    "Over MAX_UPLOAD_BYTES (default 10 MiB) or MAX_UPLOAD_ROWS (default 10,000)."
                ),
                "415": _problem("The body is not multipart/form-data."),
                "422": _problem(
                    "No file, a bad form field, or a file that cannot be read: its format, an empty file, "
                    "a missing headline column, undecodable or malformed rows over 1%."
                ),
                "503": _NO_MODEL,
            },
        }
    }


def _paths() -> dict:
    tag_body = {"oneOf": [_ref(SingleRequest), _ref(BatchRequest)]}
    return {
        "/v1/tag": {
            "post": {
                "summary": "Tag one headline, or a batch of up to 1,000 in input order.",
                **_KEYED,
                "requestBody": {"required": True, "content": {"application/json": {"schema": tag_body}}},
                "responses": {
                    "200": _json(
                        "TagResult for one headline, BatchResult for a batch.",
                        responses.TagResult,
                        responses.BatchResult,
                    ),
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
                "responses": {
                    "200": _json("The topics.", responses.Labels),
                    "401": _UNAUTHORIZED,
                    "503": _NO_MODEL,
                },
            }
        },
        "/v1/model": {
            "get": {
                "summary": "The model's manifest, without server paths.",
                **_KEYED,
                "responses": {
                    "200": _json("The manifest.", responses.Model),
                    "401": _UNAUTHORIZED,
                    "503": _NO_MODEL,
                },
            }
        },
        "/v1/files": _files(),
        "/v1/feedback": _feedback(),
        "/v1/review/queue": {
            "get": {
                "summary": "The most uncertain requests kept for review (see REVIEW_SAMPLE_RATE), none "
                "corrected yet, most uncertain first.",
                **_KEYED,
                "parameters": [
                    _query(
                        "limit",
                        "At most this many rows.",
                        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 50},
                    )
                ],
                "responses": {
                    "200": _json("The queue (empty while sampling is off).", responses.ReviewQueue),
                    "401": _UNAUTHORIZED,
                    "414": _URI_TOO_LONG,
                    "422": _problem("The limit is out of range, or a parameter is unknown."),
                    "503": _STORE_DOWN,
                },
            }
        },
        "/v1/admin/reload": {
            "post": {
                "summary": "Load models/current again and swap it in; a broken model is refused.",
                "security": [{"adminToken": []}],
                "responses": {
                    "200": _json("The new model serves.", responses.Reloaded),
                    "401": _problem("Missing or wrong admin token."),
                    "404": _problem("HEADLINE_TAGGER_ADMIN_TOKEN is not set: the endpoint is disabled."),
                    "409": _problem("The model failed to load; the previous one keeps serving."),
                },
            }
        },
        "/livez": {"get": {"summary": "Liveness.", "responses": {"200": _json("Up.", responses.Status)}}},
        "/readyz": {
            "get": {
                "summary": "Readiness: a model is loaded.",
                "responses": {"200": _json("Ready.", responses.Status), "503": _NO_MODEL},
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
        "/review": {
            "get": {
                "summary": "The web page for reviewing a queue of headlines one at a time.",
                "responses": {"200": {"description": "HTML.", "content": {"text/html": {}}}},
            }
        },
        "/model": {
            "get": {
                "summary": "The served model's card: topics with IPTC codes and thresholds, sources, report.",
                "responses": {
                    "200": {"description": "HTML.", "content": {"text/html": {}}},
                    "503": {"description": "No model is loaded yet (HTML).", "content": {"text/html": {}}},
                },
            }
        },
        "/model/report": {
            "get": {
                "summary": "The served model's validation report, as training wrote it (one HTML file).",
                "responses": {
                    "200": {"description": "HTML.", "content": {"text/html": {}}},
                    "404": _problem("The served model has no validation report, or no model is loaded."),
                },
            }
        },
    }


def _schemas() -> dict:
    """The components: requests as they are validated, answers as they are written."""
    models = [
        (model, "validation") for model in (SingleRequest, BatchRequest, FeedbackRequest, FeedbackBatch)
    ]
    models += [(model, "serialization") for model in responses.ALL]
    _, schemas = TypeAdapter.json_schemas(
        [(model.__name__, mode, TypeAdapter(model)) for model, mode in models], ref_template=_REF
    )
    return schemas["$defs"]


@cache
def document() -> dict:
    """The OpenAPI document (built once)."""
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
            "schemas": _schemas(),
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


def answer_model(path: str, method: str, status: int) -> TypeAdapter | None:
    """The response model the document gives an answer, or None for an answer that is not JSON.

    A union for ``POST /v1/tag``'s 200; an error outside the documented
    operations (an unknown URL, a wrong method) is a :class:`~service.responses.Problem`.
    """
    operation = document()["paths"].get(path, {}).get(method.lower(), {"responses": {}})
    if str(status) not in operation["responses"]:
        return _adapter(("Problem",)) if status >= 400 else None
    contents = operation["responses"][str(status)]["content"]
    # An answer in several media types (an upload's rows as JSON, CSV or JSON lines) has one in JSON.
    content = contents.get("application/json") or next(iter(contents.values()))
    schema = content.get("schema")
    if schema is None:
        return None
    return _adapter(tuple(ref["$ref"].rsplit("/", 1)[1] for ref in schema.get("oneOf", [schema])))


@cache
def _adapter(names: tuple[str, ...]) -> TypeAdapter:
    by_name = {model.__name__: model for model in responses.ALL}
    return TypeAdapter(reduce(operator.or_, (by_name[name] for name in names)))
