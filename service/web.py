"""``GET /``: the page where a person pastes headlines, or uploads a file, and sees their topics;
``GET /review``: the page where an editor works through a review queue, one headline at a time;
``GET /model``: the model card (what the served model is, its topics with their IPTC codes and
thresholds, what it was trained on) with its validation report, which ``GET /model/report`` serves
on its own.

The page is static HTML, CSS and JavaScript served from this package (no CDN,
so it works offline). It sends a strict Content-Security-Policy: scripts,
styles and requests only from this origin, no inline code, no framing; the
script builds every element with ``textContent``, so a headline can never
become markup. The report is the one page with inline styles and images (it is
one self-contained file); it is served sandboxed, may only be framed by the
card, and is shown only when it matches the checksum in the model's manifest.
"""

from __future__ import annotations

from flask import Blueprint, current_app, make_response, render_template

from service import responses
from service.errors import Problem

__all__ = ["CONTENT_SECURITY_POLICY", "bp"]

bp = Blueprint("web", __name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


# The report's own policy: its inline CSS and SVG images, nothing else, framed only by the card.
REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)
# The validation metrics the card lists, of those a manifest holds.
_CARD_METRICS = (("accuracy", "accuracy"), ("macro_f1", "macro-F1"), ("micro_f1", "micro-F1"))


def _page(template: str, policy: str = CONTENT_SECURITY_POLICY, status: int = 200, **context):
    response = make_response(render_template(template, **context), status)
    response.headers["Content-Security-Policy"] = policy
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/")
def index():
    """The tagging page, which names the limits of a file upload."""
    config = current_app.config
    return _page("index.html", max_rows=config["MAX_UPLOAD_ROWS"], max_size=_size(config["MAX_UPLOAD_BYTES"]))


def _size(size: int) -> str:
    """Bytes in the largest whole unit that keeps it exact enough to read: 10 MiB, 512 KiB, 900 bytes."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:,.3g} {unit}"
    return f"{size:,} bytes"


@bp.get("/review")
def review():
    """The review page: the queue file is read in the browser, never sent here."""
    return _page("review.html")


@bp.get("/model")
def model_card():
    """The served model's card; 503 while no model is loaded."""
    loaded = current_app.extensions["headline_tagger"].current
    if loaded is None:
        return _page("model.html", status=503, loaded=None)
    manifest = loaded.manifest
    topics = {topic.label: topic for topic in loaded.taxonomy.topics} if loaded.taxonomy else {}
    metrics = [
        (name, manifest.validation_metrics[key])
        for key, name in _CARD_METRICS
        if isinstance((manifest.validation_metrics or {}).get(key), float)
    ]
    sources = responses.public_sources(manifest.sources)
    policy = CONTENT_SECURITY_POLICY.replace("default-src 'none';", "default-src 'none'; frame-src 'self';")
    return _page("model.html", policy, loaded=loaded, topics=topics, metrics=metrics, sources=sources)


@bp.get("/model/report")
def model_report():
    """The served model's validation report, as training wrote it; 404 when it has none."""
    loaded = current_app.extensions["headline_tagger"].current
    if loaded is None or loaded.report is None:
        raise Problem(404, "The served model has no validation report.", slug="no-report", title="No report")
    response = make_response(loaded.report)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Security-Policy"] = REPORT_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
