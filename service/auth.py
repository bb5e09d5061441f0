"""Bearer-token checks for the API keys (``/v1/*``) and the admin token, in constant time.

Both sides are hashed before :func:`hmac.compare_digest`, so neither the
content nor the length of a key leaks through timing, and every configured key
is compared, so which key matched does not leak either. Tokens are never
logged or echoed.

An API key has a name, which the service records as the sender of a
correction: an ``API_KEYS`` entry ``NAME:KEY`` names its key, and a bare
``KEY`` is named ``key-`` and the first 8 hex digits of its SHA-256, a name
that stays the same across restarts without revealing the key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask import current_app, request

from service.errors import Problem

__all__ = ["ANONYMOUS", "API_KEYS", "ApiKey", "api_keys", "api_sender", "require_admin", "require_bearer"]

API_KEYS = "headline_tagger_api_keys"  # the key of the app's parsed API keys in app.extensions
ANONYMOUS = "anonymous"
"""The sender of a correction when the service needs no API key."""
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class ApiKey:
    """An accepted API key, kept as its digest, and the name it sends corrections under."""

    name: str
    digest: bytes = b""

    def __repr__(self) -> str:  # never the digest, in a log or a traceback
        return f"ApiKey({self.name!r})"


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def api_keys(entries: Iterable[str]) -> tuple[ApiKey, ...]:
    """The keys of ``API_KEYS`` entries: ``NAME:KEY`` (NAME: 1-64 letters, digits, ``.``, ``_``, ``-``,
    starting with a letter or digit), else a bare ``KEY`` named ``key-`` + 8 hex digits of its SHA-256.

    Several keys may share a name (a key being rotated); a key that holds a ``:`` after such a name
    must be given with a name of its own.
    """
    keys = []
    for entry in entries:
        name, colon, key = entry.partition(":")
        if not (colon and key and _NAME.fullmatch(name)):
            name, key = f"key-{_digest(entry).hex()[:8]}", entry
        keys.append(ApiKey(name, _digest(key)))
    return tuple(keys)


def _bearer_digest() -> bytes | None:
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    return _digest(credential.strip()) if scheme.lower() == "bearer" and credential.strip() else None


def _match(keys: Sequence[ApiKey], realm: str) -> str:
    """The name of the key the request's bearer token is, or a 401 :class:`Problem`."""
    given = _bearer_digest()
    matched = None
    for key in keys:
        if given is not None and hmac.compare_digest(given, key.digest):
            matched = key.name
    if matched is None:
        reason = "is missing" if given is None else "is not accepted"
        raise Problem(
            401,
            f"The {realm} bearer token {reason}; send 'Authorization: Bearer <token>'.",
            slug="unauthorized",
            title="Unauthorized",
            headers={"WWW-Authenticate": f'Bearer realm="{realm}"'},
        )
    return matched


def require_bearer(accepted: Iterable[str], realm: str) -> None:
    """Raise a 401 :class:`Problem` unless ``Authorization: Bearer <token>`` names one of ``accepted``."""
    _match([ApiKey(realm, _digest(token)) for token in accepted], realm)


def api_sender() -> str:
    """The name of the request's API key (a 401 problem without an accepted one); :data:`ANONYMOUS`
    when the service needs no key."""
    keys = current_app.extensions[API_KEYS]
    return _match(keys, "api") if keys else ANONYMOUS


def require_admin() -> None:
    """Check the admin token: 404 when none is set (the admin endpoints do not exist), 401 when wrong."""
    token = current_app.config["ADMIN_TOKEN"]
    if not token:
        raise Problem(404, "Admin endpoints are disabled: HEADLINE_TAGGER_ADMIN_TOKEN is not set.")
    require_bearer([token], realm="admin")
