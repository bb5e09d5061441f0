"""The ``POST /v1/tag`` and ``POST /v1/feedback`` bodies: parsed, size-checked and validated, or a problem
naming the field.

A body with ``items`` is a batch, any other object one headline (or one
correction). Validation is strict (``"explain": "yes"`` or ``"top_k": 2.5`` is
an error, not a guess) and unknown fields are refused, so a typo never
silently changes an answer.
What the OpenAPI document says is what is checked here: ``2.0`` is an integer
(as in JSON Schema), a headline needs a character that is not white space
(the pattern lists exactly the characters :meth:`str.isspace` counts), and a
number too large for a float (``1e400``) is refused rather than echoed back as
``Infinity``, which is not JSON. What a headline and a teaser are is the core's
definition (:mod:`classifier.headlines`), the same that ``predict`` applies to
its stdin lines; what a correction's labels are is the one that ``feedback
import`` applies (:func:`classifier.feedback.imports.correction_labels`),
against the labels of the model being served.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Annotated, Any, Literal

import msgspec
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
)

from classifier.feedback.imports import correction_labels
from classifier.headlines import NOT_BLANK_PATTERN, NOT_UNICODE, Headline, Teaser, is_unicode
from service.errors import Problem

__all__ = [
    "LARGEST_INTEGER",
    "MAX_ID_DEPTH",
    "NOT_BLANK_PATTERN",
    "BatchRequest",
    "FeedbackBatch",
    "FeedbackItem",
    "FeedbackRequest",
    "Limits",
    "SingleRequest",
    "field_problem",
    "parse_feedback_request",
    "parse_tag_request",
]


# An ``id`` is echoed back; nested deeper than this it is refused, long before json.dumps would recurse
# too deep to answer.
MAX_ID_DEPTH = 32
# A correction's item id is stored: a CMS id, or a review queue's FILE:LINE, is far shorter than this.
MAX_ITEM_ID_CHARS = 1000
_PLAIN_IDS = frozenset({int, float, bool, type(None)})
_HEADLINE, _TEASER, _ID = attrgetter("headline"), attrgetter("teaser"), attrgetter("id")
_fast_decode = msgspec.json.Decoder().decode


def _whole_float_as_int(value: object) -> object:
    """``2.0`` is the integer 2 in JSON Schema; ``2.5`` stays a float, for strict validation to refuse."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Options(_Body):
    top_k: Annotated[int | None, BeforeValidator(_whole_float_as_int)] = Field(
        default=None, ge=1, description="List at most this many topics."
    )
    threshold: float | None = Field(
        default=None, ge=0, le=1, description="Score a listed topic needs (default: the model's)."
    )
    explain: bool = Field(default=False, description="Add the n-grams that pushed each topic up.")


class SingleRequest(_Options):
    """One headline and its optional teaser."""

    headline: Headline
    teaser: Teaser = None


class BatchItem(_Body):
    """One headline of a batch; ``id`` (any JSON value) is echoed back with its result."""

    id: Any = Field(
        default=None, description=f"Any JSON value, nested at most {MAX_ID_DEPTH} deep; echoed back."
    )
    headline: Headline
    teaser: Teaser = None


class BatchRequest(_Options):
    """Several headlines, answered in the same order."""

    items: list[BatchItem] = Field(min_length=1)


def _known_labels(value: object, info: ValidationInfo) -> tuple[str, ...]:
    """A correction's labels, by the rules of :func:`classifier.feedback.imports.correction_labels`."""
    try:
        return correction_labels(value, info.context["labels"])
    except ValueError as error:  # the field is named by the problem already
        raise ValueError(str(error).removeprefix("labels: ")) from None


def _unicode(value: str) -> str:
    if not is_unicode(value):
        raise ValueError(NOT_UNICODE)
    return value


_Text = Annotated[str, AfterValidator(_unicode)]
LARGEST_INTEGER = 2**63 - 1
"""The largest whole number a request may send where it is stored (SQLite's and PostgreSQL's bigint)."""
_ItemIdInput = (
    Annotated[str, Field(max_length=MAX_ITEM_ID_CHARS)]
    | Annotated[int, Field(ge=-LARGEST_INTEGER - 1, le=LARGEST_INTEGER)]
    | None
)


def _item_id(value: object) -> str | None:
    """A correction's item id as the store keeps it: text, or a 64-bit whole number written as text."""
    if value is None:
        return None
    value = _whole_float_as_int(value)  # 7.0 is the integer 7, as in JSON Schema
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and -LARGEST_INTEGER - 1 <= value <= LARGEST_INTEGER
    ):
        return str(value)
    if isinstance(value, str) and len(value) <= MAX_ITEM_ID_CHARS:
        return _unicode(value)
    raise ValueError(f"must be text of at most {MAX_ITEM_ID_CHARS} characters, a whole number or null")


class FeedbackItem(_Body):
    """A correction: the topics a headline (with its teaser) really has."""

    headline: Headline
    teaser: Teaser = None
    labels: Annotated[
        tuple[str, ...],
        PlainValidator(_known_labels, json_schema_input_type=list[str]),
        Field(
            description="The correct topics: one or more of the served model's labels (GET /v1/labels).",
            json_schema_extra={"minItems": 1},
        ),
    ]
    model: _Text | None = Field(
        default=None,
        description="The model whose answer is corrected. The correction always records the served "
        "model's id and its prediction now, whatever this names.",
    )
    id: Annotated[str | None, PlainValidator(_item_id, json_schema_input_type=_ItemIdInput)] = Field(
        default=None, description="The newsroom's own id of the item, stored as text."
    )


_SOURCE = Field(default="api", description="Where the correction was made: web for the service's own page.")


class FeedbackRequest(FeedbackItem):
    """One correction."""

    source: Literal["api", "web"] = _SOURCE


class FeedbackBatch(_Body):
    """Several corrections, stored together or not at all."""

    items: list[FeedbackItem] = Field(min_length=1)
    source: Literal["api", "web"] = _SOURCE


@dataclass(frozen=True)
class Limits:
    """Request limits beyond the body size, which is enforced before the body is read."""

    max_items: int
    max_field_chars: int


def parse_tag_request(raw: bytes, limits: Limits) -> SingleRequest | BatchRequest:
    """Parse a ``/v1/tag`` body; raise :class:`Problem` 400 (not JSON), 413 (too big) or 422 (invalid)."""
    return _parse(raw, limits, SingleRequest, BatchRequest)


def parse_feedback_request(
    raw: bytes, limits: Limits, labels: Sequence[str]
) -> FeedbackRequest | FeedbackBatch:
    """Parse a ``/v1/feedback`` body whose labels must be among ``labels``; problems as for ``/v1/tag``."""
    return _parse(raw, limits, FeedbackRequest, FeedbackBatch, context={"labels": labels})


def _parse(raw: bytes, limits: Limits, single: type[_Body], batch_model: type[_Body], context=None) -> Any:
    """The body as ``batch_model`` when it has ``items``, else as ``single``; or the problem of it."""
    data = _decode(raw)
    if not isinstance(data, dict):
        raise _invalid([("body", None, 'must be a JSON object, {"headline": ...} or {"items": [...]}')])
    batch = "items" in data
    if batch and isinstance(data["items"], list) and len(data["items"]) > limits.max_items:
        raise _too_large(f"{len(data['items']):,} items; at most {limits.max_items:,} per request", "items")
    try:
        parsed = (batch_model if batch else single).model_validate(data, context=context)
    except ValidationError as error:
        raise _invalid([_describe(e["loc"], e) for e in error.errors(include_url=False)]) from None
    items = parsed.items if batch else [parsed]
    if not _plainly_within(items, batch, limits):
        _check_items(items, batch, limits)
    return parsed


def _decode(raw: bytes) -> Any:
    """The JSON value of ``raw``, as :func:`json.loads` reads it; else a 400 problem with json's reason.

    msgspec parses a body several times quicker than json.loads; what it refuses (NaN, numbers
    beyond a float, lone surrogates, other encodings than UTF-8, every malformed body) goes to
    json.loads, so a body parses to the same value, or fails with the same message, as before.
    """
    try:
        return _fast_decode(raw)
    except (msgspec.DecodeError, RecursionError):
        pass
    try:
        return json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as error:
        raise Problem(
            400, f"The body is not valid JSON: {error}", slug="malformed-json", title="Malformed JSON"
        ) from None


def _plainly_within(items: list, batch: bool, limits: Limits) -> bool:
    """Whether no item can fail :func:`_check_items`, decided in a few passes in C (a batch's common case).

    An id of a plain type other than text, or ASCII text, is never nested too deep nor invalid Unicode.
    """
    longest = max(map(len, map(_HEADLINE, items)))
    teasers = list(filter(None, map(_TEASER, items)))
    if longest > limits.max_field_chars or (teasers and max(map(len, teasers)) > limits.max_field_chars):
        return False
    if not batch:
        return True
    ids = list(map(_ID, items))
    kinds = set(map(type, ids))
    return kinds <= _PLAIN_IDS or (kinds == {str} and "".join(ids).isascii())


def _check_items(items: list, batch: bool, limits: Limits) -> None:
    """Raise the problem of the first item whose id or field is refused, field by field."""
    for index, item in enumerate(items):
        if batch and (problem := _id_problem(item.id)):
            raise _invalid([(f"items[{index}].id", index, problem)])
        for name in ("headline", "teaser"):
            if len(getattr(item, name) or "") > limits.max_field_chars:
                field = f"items[{index}].{name}" if batch else name
                raise _too_large(
                    f"{field} is over {limits.max_field_chars:,} characters", field, index if batch else None
                )


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large for a 64-bit float")
    return value


def _id_problem(value: object) -> str | None:
    """Why an ``id`` cannot be echoed back (nested too deep, or text that is not valid Unicode), or None.

    Walks without recursing, and stops at the first problem.
    """
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if not is_unicode(node):
                return NOT_UNICODE
            continue
        if isinstance(node, dict | list):
            if depth + 1 > MAX_ID_DEPTH:
                return f"must not be nested over {MAX_ID_DEPTH} deep"
            children = [*node, *node.values()] if isinstance(node, dict) else node  # keys are text too
            stack.extend((child, depth + 1) for child in children)
    return None


_MESSAGES = {
    "missing": "is required",
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "extra_forbidden": "is not a field this endpoint accepts",
    "list_type": "must be a list",
    "too_short": "must not be empty",
    "model_type": "must be a JSON object",
}


def _describe(loc: tuple, error: dict) -> tuple[str, int | None, str]:
    """(field path like ``items[3].headline``, item index or None, message) of a pydantic error."""
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    item = loc[1] if loc[:1] == ("items",) and len(loc) > 1 and isinstance(loc[1], int) else None
    message = _MESSAGES.get(error["type"]) or error["msg"].removeprefix("Value error, ")
    return field or "body", item, message


def _invalid(errors: list[tuple[str, int | None, str]]) -> Problem:
    described = [
        {"field": field, **({"item": item} if item is not None else {}), "detail": message}
        for field, item, message in errors
    ]
    first = described[0]
    return Problem(
        422,
        f"{first['field']}: {first['detail']}",
        slug="invalid-field",
        title="Invalid field",
        **{k: v for k, v in first.items() if k != "detail"},
        errors=described,
    )


def field_problem(field: str, detail: str) -> Problem:
    """The 422 problem of one invalid ``field`` (a request parameter, say), as a body's field would get."""
    return _invalid([(field, None, detail)])


def _too_large(detail: str, field: str, item: int | None = None) -> Problem:
    members = {"field": field, **({"item": item} if item is not None else {})}
    return Problem(413, detail, slug="too-large", title="Request too large", **members)
