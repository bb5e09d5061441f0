"""The ``POST /v1/tag`` body: parsed, size-checked and validated, or a problem naming the field.

A body with ``items`` is a batch, any other object one headline. Validation
is strict (``"explain": "yes"`` or ``"top_k": 2.5`` is an error, not a guess)
and unknown fields are refused, so a typo never silently changes an answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from service.errors import Problem

__all__ = ["BatchRequest", "Limits", "SingleRequest", "parse_tag_request"]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Headline = Annotated[str, Field(min_length=1), AfterValidator(_not_blank)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Options(_Body):
    top_k: int | None = Field(default=None, ge=1, description="List at most this many topics.")
    threshold: float | None = Field(
        default=None, ge=0, le=1, description="Score a listed topic needs (default: the model's)."
    )
    explain: bool = Field(default=False, description="Add the n-grams that pushed each topic up.")


class SingleRequest(_Options):
    """One headline and its optional teaser."""

    headline: Headline
    teaser: str | None = None


class BatchItem(_Body):
    """One headline of a batch; ``id`` (any JSON value) is echoed back with its result."""

    id: Any = None
    headline: Headline
    teaser: str | None = None


class BatchRequest(_Options):
    """Several headlines, answered in the same order."""

    items: list[BatchItem] = Field(min_length=1)


@dataclass(frozen=True)
class Limits:
    """Request limits beyond the body size, which is enforced before the body is read."""

    max_items: int
    max_field_chars: int


def parse_tag_request(raw: bytes, limits: Limits) -> SingleRequest | BatchRequest:
    """Parse a ``/v1/tag`` body; raise :class:`Problem` 400 (not JSON), 413 (too big) or 422 (invalid)."""
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise Problem(
            400, f"The body is not valid JSON: {error}", slug="malformed-json", title="Malformed JSON"
        ) from None
    if not isinstance(data, dict):
        raise _invalid([("body", None, 'must be a JSON object, {"headline": ...} or {"items": [...]}')])
    batch = "items" in data
    if batch and isinstance(data["items"], list) and len(data["items"]) > limits.max_items:
        raise _too_large(f"{len(data['items']):,} items; at most {limits.max_items:,} per request", "items")
    try:
        parsed = (BatchRequest if batch else SingleRequest).model_validate(data)
    except ValidationError as error:
        raise _invalid([_describe(e["loc"], e) for e in error.errors(include_url=False)]) from None
    items = parsed.items if batch else [parsed]
    for index, item in enumerate(items):
        for name in ("headline", "teaser"):
            if len(getattr(item, name) or "") > limits.max_field_chars:
                field = f"items[{index}].{name}" if batch else name
                raise _too_large(
                    f"{field} is over {limits.max_field_chars:,} characters", field, index if batch else None
                )
    return parsed


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


_MESSAGES = {
    "missing": "is required",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "string_too_short": "must not be empty",
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


def _too_large(detail: str, field: str, item: int | None = None) -> Problem:
    members = {"field": field, **({"item": item} if item is not None else {})}
    return Problem(413, detail, slug="too-large", title="Request too large", **members)
