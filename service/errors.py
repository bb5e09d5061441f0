"""Every error answer is ``application/problem+json`` (RFC 9457): ``type``, ``title``, ``status``, ``detail``.

Views raise :class:`Problem` for the errors they know about (a bad field, a
missing key, no model); werkzeug's HTTP errors (404, 405, 413 over the body
limit) get the same shape; anything else is logged with its traceback and
answered with a plain 500 that reveals nothing.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, Response, current_app, json
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from service import responses

__all__ = ["MEDIA_TYPE", "PROBLEM_TYPE", "Problem", "problem_response", "register_error_handlers"]

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE = "urn:headline-tagger:problem:"  # + slug; "about:blank" for plain HTTP errors


class Problem(Exception):
    """An error answer: HTTP ``status``, a ``detail`` for people, and extra members such as ``field``.

    ``slug`` names the problem type (``urn:headline-tagger:problem:<slug>``);
    without one the type is ``about:blank`` and the title the status phrase.
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **members: object,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.slug, self.title = status, detail, slug, title
        self.headers = headers or {}
        self.members = members


def problem_response(problem: Problem) -> Response:
    """The ``application/problem+json`` response for ``problem``."""
    body = responses.Problem(
        type=PROBLEM_TYPE + problem.slug if problem.slug else "about:blank",
        title=problem.title or _phrase(problem.status),
        status=problem.status,
        detail=problem.detail,
        **problem.members,
    )
    response = current_app.response_class(
        json.dumps(body, separators=(",", ":")), status=problem.status, mimetype=MEDIA_TYPE
    )
    response.headers.update(problem.headers)
    return response


def _phrase(status: int) -> str:
    return HTTPStatus(status).phrase


_HTTP_DETAILS = {
    404: "There is nothing at this URL; /openapi.json lists the endpoints.",
    405: "This URL does not accept this method; the Allow header lists the ones it does.",
}


def _http_error(error: HTTPException) -> Response | HTTPException:
    if error.code is None or error.code < 400:
        return error
    if isinstance(error, RequestEntityTooLarge):
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        detail = f"The request body is over the limit of {limit:,} bytes."
    else:
        detail = _HTTP_DETAILS.get(error.code, error.description or _phrase(error.code))
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return problem_response(Problem(error.code, detail, headers=headers))


def _unexpected(error: Exception) -> Response:
    log.exception("unexpected error while answering a request")
    return problem_response(Problem(500, "The server failed to answer this request; the error is logged."))


def register_error_handlers(app: Flask) -> None:
    """Answer every error of ``app`` with a problem document."""
    app.register_error_handler(Problem, problem_response)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
