"""``GET /``: the page where a person pastes headlines and sees their topics; ``GET /review``: the page
where an editor works through a review queue, one headline at a time.

The page is static HTML, CSS and JavaScript served from this package (no CDN,
so it works offline). It sends a strict Content-Security-Policy: scripts,
styles and requests only from this origin, no inline code, no framing; the
script builds every element with ``textContent``, so a headline can never
become markup.
"""

from __future__ import annotations

from flask import Blueprint, make_response, render_template

__all__ = ["CONTENT_SECURITY_POLICY", "bp"]

bp = Blueprint("web", __name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _page(template: str):
    response = make_response(render_template(template))
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/")
def index():
    """The tagging page."""
    return _page("index.html")


@bp.get("/review")
def review():
    """The review page: the queue file is read in the browser, never sent here."""
    return _page("review.html")
