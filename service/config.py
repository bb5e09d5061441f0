"""Service settings, layered: defaults, then ``HEADLINE_TAGGER_*`` environment variables, then a mapping.

The mapping is what ``headline-tagger serve`` builds from its flags and what
tests pass to :func:`service.create_app`; the environment is how a container
or a unit file configures the service. Secrets (the admin token, API keys) come
only from the environment or the mapping, never from a command line that
``ps`` would show.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from classifier.settings import ENV_PREFIX, FEEDBACK_DB, MODELS_DIR

__all__ = ["DEFAULTS", "ENV_PREFIX", "settings"]

DEFAULTS: dict[str, object] = {
    "MODELS_DIR": str(MODELS_DIR),
    "MODEL": None,  # None: the current link of MODELS_DIR
    "ADMIN_TOKEN": None,  # None: POST /v1/admin/reload is disabled
    "API_KEYS": (),  # empty: /v1/* needs no key; entries are KEY or NAME:KEY (service.auth)
    "FEEDBACK_DB": str(FEEDBACK_DB),  # the corrections store: an SQLite file or a postgresql:// URL
    "MAX_BODY_BYTES": 1 << 20,
    "MAX_ITEMS": 1000,
    "MAX_FIELD_CHARS": 2000,
    # An uploaded file (POST /v1/files): its size, and its rows.
    "MAX_UPLOAD_BYTES": 10 << 20,
    "MAX_UPLOAD_ROWS": 10_000,
    # The share of tagged items kept for the review page (0: none), and how many of the newest the store
    # holds (service.sampling).
    "REVIEW_SAMPLE_RATE": 0.0,
    "REVIEW_SAMPLE_KEEP": 10_000,
}


def _text(raw: str) -> str:
    return raw


def _keys(raw: str) -> tuple[str, ...]:
    return tuple(key.strip() for key in raw.split(",") if key.strip())


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError("must be a whole number of at least 1")
    return value


def _share(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise ValueError("must be a number from 0 to 1")
    return value


_PARSERS: dict[str, Callable[[str], object]] = {
    "MODELS_DIR": _text,
    "MODEL": _text,
    "ADMIN_TOKEN": _text,
    "API_KEYS": _keys,
    "FEEDBACK_DB": _text,
    "MAX_BODY_BYTES": _positive,
    "MAX_ITEMS": _positive,
    "MAX_FIELD_CHARS": _positive,
    "MAX_UPLOAD_BYTES": _positive,
    "MAX_UPLOAD_ROWS": _positive,
    "REVIEW_SAMPLE_RATE": _share,
    "REVIEW_SAMPLE_KEEP": _positive,
}


def settings(mapping: Mapping[str, object] | None = None, environ: Mapping[str, str] = os.environ) -> dict:
    """The service settings: :data:`DEFAULTS`, overridden by the environment, then by ``mapping``.

    An empty environment variable counts as unset.

    Raises
    ------
    ValueError
        An environment variable that does not parse, named in the message (its
        value is not repeated, since it may be a secret).
    """
    result = dict(DEFAULTS)
    for key, parse in _PARSERS.items():
        raw = environ.get(ENV_PREFIX + key, "")
        if not raw:
            continue
        try:
            result[key] = parse(raw)
        except ValueError as error:
            # int() says "invalid literal ...", which would repeat the value: it may be a secret.
            reason = str(error) if str(error).startswith("must ") else "must be a whole number of at least 1"
            raise ValueError(f"{ENV_PREFIX}{key} {reason}") from None
    result.update(mapping or {})
    return result
