"""The headline-tagger HTTP service: a Flask app (factory, blueprints) served by gunicorn.

``create_app`` builds it; ``service.wsgi`` holds the one module-level app for
WSGI servers; ``headline-tagger serve`` runs it under gunicorn.
"""

from service.app import create_app

__all__ = ["create_app"]
