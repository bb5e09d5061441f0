"""The application factory: ``create_app(config=None, *, loaded=None)``.

Settings are layered (defaults, then ``HEADLINE_TAGGER_*`` environment
variables, then ``config``; see :mod:`service.config`). The model is loaded
once, here, and kept in ``app.extensions["headline_tagger"]`` (a
:class:`~service.holder.ModelHolder`); a model that fails to load leaves the
app up but not ready (``/readyz`` 503) until a reload succeeds.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Flask

from classifier.errors import ModelError
from service import admin, api, auth, feedback, files, health, sampling, web
from service.config import settings
from service.errors import register_error_handlers
from service.holder import LoadedModel, ModelHolder
from service.jsonprovider import JSONProvider
from service.store import StoreHolder
from service.telemetry import Telemetry

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def create_app(config: Mapping[str, object] | None = None, *, loaded: LoadedModel | None = None) -> Flask:
    """Build the service.

    Parameters
    ----------
    config
        Settings that override the defaults and the environment (``MODELS_DIR``,
        ``MODEL``, ``ADMIN_TOKEN``, ``API_KEYS``, ``FEEDBACK_DB``, ``MAX_BODY_BYTES``,
        ``MAX_ITEMS``, ``MAX_FIELD_CHARS``, ``MAX_UPLOAD_BYTES``, ``MAX_UPLOAD_ROWS``) and any
        Flask setting. The corrections store (``FEEDBACK_DB``) is opened on first use, by the
        process that uses it.
    loaded
        A model already loaded (:meth:`service.holder.ModelHolder.reload` returns one) to
        serve instead of loading ``MODEL``; reloads still read ``MODEL``.
    """
    app = Flask(__name__)
    app.config.from_mapping(settings(config), DEBUG=False)  # never the debugger, whatever FLASK_DEBUG says
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_BODY_BYTES"]
    app.json = JSONProvider(app)
    holder = ModelHolder.from_settings(app.config)
    if loaded is not None:
        holder.current = loaded
    else:
        try:
            holder.reload()
        except ModelError as error:
            log.error("no model loaded, not ready: %s", error)
    app.extensions["headline_tagger"] = holder
    app.extensions[api.LIMITS] = api.limits_of(app.config)
    app.extensions[auth.API_KEYS] = auth.api_keys(app.config["API_KEYS"])
    app.extensions[feedback.STORE] = StoreHolder(str(app.config["FEEDBACK_DB"]))
    app.extensions[sampling.SAMPLER] = sampling.RequestSampler(
        float(app.config["REVIEW_SAMPLE_RATE"]),
        int(app.config["REVIEW_SAMPLE_KEEP"]),
        app.extensions[feedback.STORE],
    )
    register_error_handlers(app)
    Telemetry(holder).init_app(app)
    for blueprint in (api.bp, files.bp, feedback.bp, admin.bp, health.bp, web.bp):
        app.register_blueprint(blueprint)

    @app.after_request
    def _no_sniffing(response):
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return app
