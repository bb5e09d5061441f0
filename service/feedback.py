"""``POST /v1/feedback`` stores the newsroom's corrections; ``GET /v1/feedback`` (admin) pages through
them; ``GET /v1/review/queue`` lists the most uncertain requests kept for review (:mod:`service.sampling`).

A correction is checked against the served model's labels and records that
model's id and its prediction of the headline at the time, whatever model the
client names: the prediction is what the model being corrected answers now,
and a correction is never dropped for naming another. The sender is the name
of the request's API key (:mod:`service.auth`). An answer of 201 means every
correction of the body is on disk (or in the database); a store that cannot be
used is a 503 and nothing is acknowledged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Blueprint, current_app, g, request

from classifier.errors import FeedbackStoreError
from classifier.feedback.store import Correction
from service import responses
from service.api import LIMITS, current_model, json_body
from service.auth import api_sender, require_admin
from service.errors import Problem
from service.sampling import SAMPLER
from service.schemas import LARGEST_INTEGER, FeedbackBatch, field_problem, parse_feedback_request

__all__ = ["MAX_PAGE", "STORE", "bp"]

log = logging.getLogger(__name__)

STORE = "headline_tagger_feedback_store"  # the key of the app's StoreHolder in app.extensions
MAX_PAGE = 1000
_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2}))?")

bp = Blueprint("feedback", __name__, url_prefix="/v1")


@bp.post("/feedback")
def add():
    """Store one correction (``{"headline", "teaser", "labels", ...}``) or a batch (``{"items": [...]}``)."""
    sender = api_sender()
    raw = json_body()
    loaded = current_model()
    body = parse_feedback_request(raw, current_app.extensions[LIMITS], loaded.model.labels)
    items = body.items if isinstance(body, FeedbackBatch) else [body]
    predictions = loaded.model.predict(
        [item.headline for item in items], [item.teaser or "" for item in items]
    )
    model_id = loaded.manifest.model_id
    corrections = [
        Correction(
            headline=item.headline,
            teaser=item.teaser or "",
            labels=item.labels,
            sender=sender,
            source=body.source,
            model_id=model_id,
            predicted=tuple(label.label for label in prediction.labels),
            item_id=item.id,
        )
        for item, prediction in zip(items, predictions, strict=True)
    ]
    with _store("; nothing was stored") as store:
        ids = store.add(corrections)
    g.corrections = corrections
    return responses.FeedbackStored(model=model_id, ids=ids), 201


@bp.get("/feedback")
def page():
    """Up to ``limit`` corrections with an id over ``after``, made at or after ``since``, oldest first."""
    require_admin()
    after, since, limit = _page_query(request.args)
    with _store() as store:
        rows = store.page(after=after, since=since, limit=limit + 1)  # one more: is there a next page?
    shown = rows[:limit]
    return responses.FeedbackPage(
        corrections=[row.to_dict() for row in shown], next=shown[-1].id if len(rows) > limit else None
    )


@bp.get("/review/queue")
def review_queue():
    """The ``limit`` most uncertain kept requests whose text no one has corrected yet, for the review page."""
    api_sender()  # the same keys as POST /v1/feedback: whoever may correct may see what to correct
    _only(request.args, "limit")
    limit = _whole(request.args, "limit", 50, 1, MAX_PAGE)
    sampler = current_app.extensions[SAMPLER]
    sampler.flush()  # this worker's waiting samples too
    with _store() as store:
        samples = store.uncertain_samples(limit)
    return responses.ReviewQueue(sampling=sampler.rate > 0, rows=[sample.to_dict() for sample in samples])


def _page_query(args: Mapping[str, str]) -> tuple[int, str | None, int]:
    """``after``, ``since`` (see :func:`_utc`) and ``limit``, or a 422 problem."""
    _only(args, "after", "since", "limit")
    after = _whole(args, "after", 0, 0, LARGEST_INTEGER)
    limit = _whole(args, "limit", 100, 1, MAX_PAGE)
    since = args.get("since")
    return after, None if since is None else _utc(since), limit


def _utc(text: str) -> str:
    """An RFC 3339 date (midnight UTC) or date-time as the store writes times: UTC ISO 8601, to the µs."""
    match = _DATE_TIME.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        date, time, fraction, offset = match.groups()
        moment = datetime.fromisoformat(
            f"{date}T{time or '00:00:00'}{(fraction or '')[:7]}{(offset or '+00:00').upper()}"
        )
    except ValueError:
        raise field_problem(
            "since", "must be an RFC 3339 date or date-time, like 2026-12-04 or 2026-12-04T09:30:00+01:00"
        ) from None
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # an offset takes it past year 1 or 9999: before or after every correction
        moment = (datetime.min if moment.year == 1 else datetime.max).replace(tzinfo=UTC)
    return moment.isoformat(timespec="microseconds")


def _only(args: Mapping[str, str], *accepted: str) -> None:
    """A 422 problem for the first query parameter that is not one of ``accepted``."""
    unknown = sorted(set(args) - set(accepted))
    if unknown:
        raise field_problem(unknown[0], f"is not a parameter this endpoint accepts ({', '.join(accepted)})")


def _whole(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = args.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit() and low <= int(text) <= high):
        raise field_problem(name, f"must be a whole number from {low:,} to {high:,}")
    return int(text)


@contextmanager
def _store(consequence: str = "") -> Iterator:
    """The worker's store; its failure a 503 problem that names the cause but not the store's path or URL."""
    try:
        with current_app.extensions[STORE].using() as store:
            yield store
    except FeedbackStoreError as error:
        log.error("corrections store unavailable: %s", error)
        raise Problem(
            503,
            f"The corrections store is unavailable ({error.reason}){consequence}.",
            slug="feedback-store-unavailable",
            title="Corrections store unavailable",
        ) from None
