"""``POST /v1/admin/reload``: load ``models/current`` again and swap it in, or refuse it.

Guarded by the bearer token in ``HEADLINE_TAGGER_ADMIN_TOKEN``; with no token
set the endpoint does not exist (404), so a forgotten setting never leaves it
open. A model that fails to load is refused (409) and the old one keeps
serving. Under gunicorn the reload is passed on to every worker (see
:mod:`service.server`).
"""

from __future__ import annotations

from flask import Blueprint, current_app

from classifier.errors import ModelError
from service import responses
from service.auth import require_admin
from service.errors import Problem

__all__ = ["bp"]

bp = Blueprint("admin", __name__, url_prefix="/v1/admin")


@bp.post("/reload")
def reload():
    """Reload the model; answer the new and the previous model ids."""
    require_admin()
    holder = current_app.extensions["headline_tagger"]
    previous = holder.current
    try:
        loaded = holder.reload()
    except ModelError as error:
        kept = previous.manifest.model_id if previous else None
        raise Problem(409, str(error), slug="model-refused", title="Model refused", kept=kept) from None
    return responses.Reloaded(
        model=loaded.manifest.model_id, previous=previous.manifest.model_id if previous else None
    )
