"""The one module-level app, for WSGI servers: ``gunicorn service.wsgi:app``.

Configured by ``HEADLINE_TAGGER_*`` environment variables alone.
``headline-tagger serve`` does not use this module: it builds the app itself
so that it can fail fast without a model and reload it on SIGHUP.
"""

from service import create_app

app = create_app()
